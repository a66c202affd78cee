using System.Globalization;
using System.Text.Json.Nodes;
using Agents.Domain.Errors;

namespace Agents.Application.Policies;

public enum SettingType
{
    Number,
    WholeNumber,
    Boolean,
    Text,
    TextList,
}

/// <summary>One setting of a policy: its type, default and bounds. The same description validates and documents it.</summary>
public sealed record SettingField(string Name, SettingType Type, string Description, JsonNode? Default)
{
    public double? Minimum { get; init; }
    public double? Maximum { get; init; }
    public IReadOnlyList<string>? Choices { get; init; }
    public int MaxLength { get; init; } = 4000;
    public int MaxItems { get; init; } = 200;

    /// <summary>An extra check of each text (or list item): the error message, or null when it is fine.</summary>
    public Func<string, string?>? Check { get; init; }

    public static SettingField Number(string name, string description, double value, double min, double max) =>
        new(name, SettingType.Number, description, JsonValue.Create(value)) { Minimum = min, Maximum = max };

    public static SettingField WholeNumber(string name, string description, int value, int min, int max) =>
        new(name, SettingType.WholeNumber, description, JsonValue.Create(value)) { Minimum = min, Maximum = max };

    public static SettingField Boolean(string name, string description, bool value) =>
        new(name, SettingType.Boolean, description, JsonValue.Create(value));

    public static SettingField Text(string name, string description, string value, int maxLength = 4000) =>
        new(name, SettingType.Text, description, JsonValue.Create(value)) { MaxLength = maxLength };

    public static SettingField Choice(string name, string description, string value, params string[] choices) =>
        new(name, SettingType.Text, description, JsonValue.Create(value)) { Choices = choices, MaxLength = 100 };

    public static SettingField TextList(string name, string description, int maxItems = 200, int maxLength = 500, Func<string, string?>? check = null) =>
        new(name, SettingType.TextList, description, new JsonArray()) { MaxItems = maxItems, MaxLength = maxLength, Check = check };
}

/// <summary>
/// The settings a policy accepts. It renders as a JSON Schema (for the admin page), validates settings with field
/// errors, fills in defaults, and coerces the strings of file configuration (where everything is a string) to types.
/// </summary>
public sealed class SettingsSchema(IReadOnlyList<SettingField> fields)
{
    public IReadOnlyList<SettingField> Fields => fields;

    public SettingField? Find(string name) => fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal));

    public JsonObject ToJsonSchema()
    {
        var properties = new JsonObject();
        foreach (var f in fields)
        {
            var p = new JsonObject
            {
                ["type"] = f.Type switch
                {
                    SettingType.Number => "number",
                    SettingType.WholeNumber => "integer",
                    SettingType.Boolean => "boolean",
                    SettingType.TextList => "array",
                    _ => "string",
                },
                ["description"] = f.Description,
                ["default"] = f.Default?.DeepClone(),
            };
            if (f.Minimum is { } min)
            {
                p["minimum"] = min;
            }
            if (f.Maximum is { } max)
            {
                p["maximum"] = max;
            }
            if (f.Choices is { } choices)
            {
                p["enum"] = new JsonArray(choices.Select(c => (JsonNode)JsonValue.Create(c)).ToArray());
            }
            if (f.Type == SettingType.Text && f.Choices is null)
            {
                p["maxLength"] = f.MaxLength;
            }
            if (f.Type == SettingType.TextList)
            {
                p["items"] = new JsonObject { ["type"] = "string", ["maxLength"] = f.MaxLength };
                p["maxItems"] = f.MaxItems;
            }
            properties[f.Name] = p;
        }
        return new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["properties"] = properties,
        };
    }

    /// <summary>Field errors of <paramref name="settings"/>, named from <paramref name="path"/> (e.g. <c>chain[0].settings</c>).</summary>
    public List<FieldError> Validate(JsonObject? settings, string path)
    {
        var errors = new List<FieldError>();
        foreach (var (name, value) in settings ?? [])
        {
            var at = $"{path}.{name}";
            var field = Find(name);
            if (field is null)
            {
                errors.Add(new FieldError(at, $"is not a setting; known settings: {string.Join(", ", fields.Select(f => f.Name))}"));
                continue;
            }
            if (ValueError(field, value) is { } message)
            {
                errors.Add(new FieldError(at, message));
            }
        }
        return errors;
    }

    /// <summary>Every field with its default value.</summary>
    public JsonObject Defaults()
    {
        var result = new JsonObject();
        foreach (var f in fields)
        {
            result[f.Name] = f.Default?.DeepClone();
        }
        return result;
    }

    /// <summary>Turns the strings of file configuration into the declared types (values that do not parse are kept, and fail validation).</summary>
    public JsonObject Coerce(JsonObject settings)
    {
        var result = new JsonObject();
        foreach (var (name, value) in settings)
        {
            var field = Find(name);
            result[name] = field is null ? value?.DeepClone() : CoerceValue(field, value);
        }
        return result;
    }

    private static JsonNode? CoerceValue(SettingField field, JsonNode? value)
    {
        if (value is not JsonValue v || !v.TryGetValue<string>(out var text))
        {
            return field.Type == SettingType.TextList && value is JsonObject o && o.Count == 0 ? new JsonArray() : value?.DeepClone();
        }
        return field.Type switch
        {
            SettingType.Number when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            SettingType.WholeNumber when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => JsonValue.Create(i),
            SettingType.Boolean when bool.TryParse(text, out var b) => JsonValue.Create(b),
            SettingType.TextList when text.Length == 0 => new JsonArray(),
            _ => JsonValue.Create(text),
        };
    }

    private static string? ValueError(SettingField field, JsonNode? value)
    {
        switch (field.Type)
        {
            case SettingType.Number or SettingType.WholeNumber:
                if (!JsonNumber.TryRead(value, out var d))
                {
                    return field.Type == SettingType.WholeNumber ? "must be an integer" : "must be a number";
                }
                if (field.Type == SettingType.WholeNumber && Math.Abs(d % 1) > 0)
                {
                    return "must be an integer";
                }
                if (d < field.Minimum || d > field.Maximum)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"must be between {field.Minimum} and {field.Maximum}");
                }
                return null;
            case SettingType.Boolean:
                return value is JsonValue b && b.TryGetValue<bool>(out _) ? null : "must be true or false";
            case SettingType.Text:
                if (value is not JsonValue s || !s.TryGetValue<string>(out var text))
                {
                    return "must be a string";
                }
                return TextError(field, text);
            case SettingType.TextList:
                if (value is not JsonArray list)
                {
                    return "must be an array of strings";
                }
                if (list.Count > field.MaxItems)
                {
                    return $"must have at most {field.MaxItems} items";
                }
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is not JsonValue item || !item.TryGetValue<string>(out var itemText))
                    {
                        return $"item {i} must be a string";
                    }
                    if (TextError(field, itemText) is { } error)
                    {
                        return $"item {i} {error}";
                    }
                }
                return null;
            default:
                return null;
        }
    }

    private static string? TextError(SettingField field, string text)
    {
        if (field.Choices is { } choices && !choices.Contains(text, StringComparer.Ordinal))
        {
            return $"must be one of: {string.Join(", ", choices)}";
        }
        if (text.Length > field.MaxLength)
        {
            return $"must be at most {field.MaxLength} characters";
        }
        return field.Check?.Invoke(text);
    }
}

/// <summary>
/// Reads a JSON number whatever its backing: parsed JSON, or a value created in code (a <c>JsonValue</c> made from an
/// int does not answer <c>TryGetValue&lt;double&gt;</c>).
/// </summary>
public static class JsonNumber
{
    public static bool TryRead(JsonNode? node, out double value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static double? Read(JsonNode? node) => TryRead(node, out var d) ? d : null;
}
