using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Agents.IntegrationTests.Infrastructure;

/// <summary>An exported span, as OTLP carries it: ids in hex, the name, string attributes, the exporting service.</summary>
public sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, IReadOnlyDictionary<string, string> Attributes, string Service);

/// <summary>
/// An OTLP/HTTP receiver (protobuf, <c>/v1/traces</c> and <c>/v1/metrics</c>) for a host under test: what the worker
/// and the Functions host export when OTEL_EXPORTER_OTLP_ENDPOINT points here. It reads the few fields the tests look
/// at straight from the protobuf wire format (field numbers of opentelemetry-proto's trace and metrics messages), so
/// no generated types are needed.
/// </summary>
public sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener listener = new();
    private readonly ConcurrentQueue<ReceivedSpan> spans = new();
    private readonly ConcurrentDictionary<string, byte> metricNames = new(StringComparer.Ordinal);
    private readonly Task loop;

    public OtlpReceiver()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Endpoint = new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
        }
        listener.Prefixes.Add(Endpoint.ToString());
        listener.Start();
        loop = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    public IReadOnlyList<ReceivedSpan> Spans => spans.ToList();

    public IReadOnlyCollection<string> MetricNames => metricNames.Keys.ToList();

    public void Dispose()
    {
        listener.Close();
        loop.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            try
            {
                if (context.Request.Url!.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal))
                {
                    ReadTraces(body.ToArray());
                }
                else if (context.Request.Url.AbsolutePath.EndsWith("/v1/metrics", StringComparison.Ordinal))
                {
                    ReadMetrics(body.ToArray());
                }
                context.Response.StatusCode = 200;
            }
            catch (FormatException)
            {
                context.Response.StatusCode = 400;
            }
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close(); // an empty Export*ServiceResponse
        }
    }

    // ExportTraceServiceRequest: 1 resource_spans { 1 resource { 1 attributes }, 2 scope_spans { 2 spans } }.
    private void ReadTraces(byte[] request)
    {
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = Service(resourceSpans);
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    // Span: 1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 9 attributes.
                    spans.Enqueue(new ReceivedSpan(Hex(Fields(span, 1)), Hex(Fields(span, 2)), Hex(Fields(span, 4)),
                        Text(Fields(span, 5)), Attributes(span, 9), service));
                }
            }
        }
    }

    // ExportMetricsServiceRequest: 1 resource_metrics { 2 scope_metrics { 2 metrics { 1 name } } }.
    private void ReadMetrics(byte[] request)
    {
        foreach (var scopeMetrics in Fields(request, 1).SelectMany(r => Fields(r, 2)))
        {
            foreach (var metric in Fields(scopeMetrics, 2))
            {
                metricNames.TryAdd(Text(Fields(metric, 1)), 0);
            }
        }
    }

    private static string Service(byte[] resourceSpans) =>
        Fields(resourceSpans, 1).Select(r => Attributes(r, 1)).FirstOrDefault()?.GetValueOrDefault("service.name") ?? "";

    // KeyValue: 1 key, 2 value (AnyValue: 1 string_value); other value types are left out.
    private static Dictionary<string, string> Attributes(byte[] message, int field)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in Fields(message, field))
        {
            var value = Fields(pair, 2).SelectMany(v => Fields(v, 1)).FirstOrDefault();
            if (value is not null)
            {
                attributes[Text(Fields(pair, 1))] = Encoding.UTF8.GetString(value);
            }
        }
        return attributes;
    }

    private static string Text(IEnumerable<byte[]> values) => values.FirstOrDefault() is { } v ? Encoding.UTF8.GetString(v) : "";

    private static string Hex(IEnumerable<byte[]> values) => values.FirstOrDefault() is { } v ? Convert.ToHexStringLower(v) : "";

    /// <summary>The length-delimited values of field <paramref name="number"/> of a protobuf message (other fields skipped).</summary>
    private static List<byte[]> Fields(byte[] message, int number)
    {
        var found = new List<byte[]>();
        var i = 0;
        while (i < message.Length)
        {
            var key = Varint(message, ref i);
            var (field, wire) = ((int)(key >> 3), (int)(key & 7));
            switch (wire)
            {
                case 0: Varint(message, ref i); break;
                case 1: i += 8; break;
                case 5: i += 4; break;
                case 2:
                    var length = (int)Varint(message, ref i);
                    if (length < 0 || i + length > message.Length)
                    {
                        throw new FormatException("A length past the end of the message.");
                    }
                    if (field == number)
                    {
                        found.Add(message[i..(i + length)]);
                    }
                    i += length;
                    break;
                default: throw new FormatException($"Wire type {wire} is not expected in OTLP.");
            }
        }
        return found;
    }

    private static ulong Varint(byte[] message, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (i >= message.Length)
            {
                throw new FormatException("A varint past the end of the message.");
            }
            var b = message[i++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new FormatException("A varint longer than 10 bytes.");
    }
}
