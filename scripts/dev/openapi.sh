# ./dev openapi: writes the OpenAPI document the Functions app builds into the chat app (src/Web/src/api/openapi.json)
# and regenerates the chat app's API types from it (src/Web/src/api/schema.gen.ts, openapi-typescript). The tests fail
# while either copy differs: OpenApiDocumentTests for the document, the chat app's typecheck (--check) for the types.
build_dotnet Debug
AGENTS_UPDATE_OPENAPI=1 dotnet test "$ROOT/tests/Agents.Functions.Tests" --no-build -nologo -v quiet \
  --filter "FullyQualifiedName~OpenApiDocumentTests.ChatAppsCopy_IsTheDocumentTheAppBuilds" >/dev/null
log "wrote src/Web/src/api/openapi.json"
install_node_packages "$ROOT/src/Web"
(cd "$ROOT/src/Web" && npm run --silent generate:api)
log "wrote src/Web/src/api/schema.gen.ts"
