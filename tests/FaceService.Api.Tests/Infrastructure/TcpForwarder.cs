using System.Net;
using System.Net.Sockets;

namespace FaceService.Api.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay in front of the real PostgreSQL: stopping it cuts every connection and refuses new ones,
/// which is what the service sees when the database host goes away; starting it again on the same port is the
/// database coming back.
/// </summary>
public sealed class TcpForwarder(string targetHost, int targetPort) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource? _stop;

    public int Port { get; private set; }

    public void Start()
    {
        lock (_gate)
        {
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _stop = new CancellationTokenSource();
            _ = AcceptAsync(_listener, _stop.Token);
        }
    }

    public void Stop()
    {
        lock (_gate)
        {
            _stop?.Cancel();
            _listener?.Stop();
            foreach (var connection in _connections) connection.Dispose();
            _connections.Clear();
        }
    }

    public void Dispose() => Stop();

    private async Task AcceptAsync(TcpListener listener, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(ct); }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }

            var upstream = new TcpClient();
            try { await upstream.ConnectAsync(targetHost, targetPort, ct); }
            catch (Exception e) when (e is OperationCanceledException or SocketException)
            {
                client.Dispose();
                upstream.Dispose();
                continue;
            }
            lock (_gate)
            {
                _connections.Add(client);
                _connections.Add(upstream);
            }
            _ = RelayAsync(client, upstream, ct);
        }
    }

    private static async Task RelayAsync(TcpClient a, TcpClient b, CancellationToken ct)
    {
        try
        {
            await Task.WhenAny(a.GetStream().CopyToAsync(b.GetStream(), ct), b.GetStream().CopyToAsync(a.GetStream(), ct));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // A cut connection is the point of this class.
        }
        finally
        {
            a.Dispose();
            b.Dispose();
        }
    }
}
