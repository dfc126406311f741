using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using FaceService.Api.Tests.Infrastructure;

namespace FaceService.Api.Tests.Fuzz;

/// <summary>
/// Uploads that stall halfway do not hold inference slots: a request is admitted once its body has arrived. With one
/// slot and one queue place, stalled uploads would otherwise leave every ready request 503 overloaded.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class SlowUploadTests(ITestOutputHelper output)
{
    private const int StalledUploads = 6;

    [Fact]
    public async Task Stalled_uploads_leave_the_slots_to_requests_whose_body_has_arrived()
    {
        // Kestrel on a real socket, not the in-process test server (which hands the app a request only once its body
        // is complete).
        await using var factory = new TinyQueueApiFactory();
        factory.UseKestrel(0);
        factory.StartServer();
        var client = factory.CreateClient();
        var photo = DevPhotos.People[0].Photos[0];
        await client.DetectOkAsync(photo); // warm: the timings below measure admission, not start-up

        var request = await StalledRequest.BuildAsync(client, photo);
        var stalled = new List<StalledRequest.Connection>();
        for (var i = 0; i < StalledUploads; i++) stalled.Add(await request.StartAsync());
        await Task.Delay(300); // for the service to take them in

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++) await client.DetectOkAsync(photo);
        output.WriteLine($"{StalledUploads} uploads stalled halfway; 3 ordinary detects in {clock.ElapsedMilliseconds} ms");

        // Once its body arrives, a stalled upload is served like any other.
        foreach (var connection in stalled)
        {
            using (connection) Assert.StartsWith("HTTP/1.1 200", await connection.FinishAsync());
        }
    }

    /// <summary>A detect request written by hand on a socket, so that it can stop halfway through its body.</summary>
    private sealed class StalledRequest(Uri server, byte[] head, byte[] body)
    {
        public static async Task<StalledRequest> BuildAsync(HttpClient client, string photo)
        {
            using var form = new Multipart().File("image", photo).Build();
            var body = await form.ReadAsByteArrayAsync();
            var headers = new StringBuilder()
                .Append("POST /v1/detect HTTP/1.1\r\n")
                .Append($"Host: {client.BaseAddress!.Authority}\r\n")
                .Append($"Content-Type: {form.Headers.ContentType}\r\n")
                .Append($"Content-Length: {body.Length}\r\n");
            foreach (var (name, values) in client.DefaultRequestHeaders) headers.Append($"{name}: {string.Join(",", values)}\r\n");
            return new StalledRequest(client.BaseAddress, Encoding.ASCII.GetBytes(headers.Append("\r\n").ToString()), body);
        }

        public async Task<Connection> StartAsync()
        {
            var tcp = new TcpClient();
            await tcp.ConnectAsync(server.Host, server.Port);
            var stream = tcp.GetStream();
            await stream.WriteAsync(head);
            await stream.WriteAsync(body.AsMemory(0, body.Length / 2));
            return new Connection(tcp, stream, body.AsMemory(body.Length / 2));
        }

        public sealed class Connection(TcpClient tcp, NetworkStream stream, ReadOnlyMemory<byte> rest) : IDisposable
        {
            /// <summary>Sends the rest of the body; returns the start of the answer.</summary>
            public async Task<string> FinishAsync()
            {
                await stream.WriteAsync(rest);
                var buffer = new byte[64];
                var read = await stream.ReadAsync(buffer);
                return Encoding.ASCII.GetString(buffer, 0, read);
            }

            public void Dispose() => tcp.Dispose();
        }
    }
}
