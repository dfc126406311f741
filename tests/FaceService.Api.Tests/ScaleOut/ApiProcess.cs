using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace FaceService.Api.Tests.ScaleOut;

/// <summary>
/// The built service as a real OS process, as a replica runs in production: the FaceService.Api.dll that the project
/// reference copies beside the tests, run by the dotnet host, configured only through environment variables, on a
/// loopback port it picks itself (read back from its start-up log, so two replicas never race for a port). Its console
/// output is kept for failure messages; Dispose kills it.
/// </summary>
public sealed class ApiProcess : IDisposable
{
    private const int KeptLines = 300;

    // A watchdog on top of Dispose: if the test host itself dies, the replica still ends (coreutils timeout).
    private const int WatchdogSeconds = 900;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ApiProcess(string name, IReadOnlyDictionary<string, string> settings)
    {
        Name = name;
        var appDirectory = AppContext.BaseDirectory;
        var start = new ProcessStartInfo("timeout")
        {
            // Content root = the output folder, so the service reads its own appsettings.json like a deployed copy.
            WorkingDirectory = appDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--kill-after=10", WatchdogSeconds.ToString(), DotnetHost, Path.Combine(appDirectory, "FaceService.Api.dll") })
            start.ArgumentList.Add(argument);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Urls"] = "http://127.0.0.1:0";
        // The listening address is logged by Microsoft.Hosting.Lifetime at Information; everything else at Warning.
        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        start.Environment["Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Information";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    /// <summary>Starts a replica with these settings (configuration keys, "Section:Key"), given as environment variables.</summary>
    public static ApiProcess Start(string name, IReadOnlyDictionary<string, string> settings) => new(name, settings);

    /// <summary>Waits until the replica listens and /health/ready answers 200 (models loaded, schema migrated).</summary>
    public async Task<Uri> WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var exited = _process.WaitForExitAsync(CancellationToken.None);
        try
        {
            var listening = await Task.WhenAny(_listening.Task, exited).WaitAsync(deadline.Token);
            if (listening == exited) throw new InvalidOperationException($"Replica {Name} exited before listening.\n{Describe()}");
            var url = _listening.Task.Result;
            using var probe = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
            while (true)
            {
                if (_process.HasExited) throw new InvalidOperationException($"Replica {Name} exited before it was ready.\n{Describe()}");
                try
                {
                    if ((await probe.GetAsync("/health/ready", deadline.Token)).IsSuccessStatusCode) return url;
                }
                catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !deadline.IsCancellationRequested))
                {
                    // Listening is logged as Kestrel binds; a refused connection then, or a slow probe on a busy machine, is retried.
                }
                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Replica {Name} not ready after {timeout.TotalSeconds:F0} s.\n{Describe()}");
        }
    }

    /// <summary>A client of this replica that sends the given API key.</summary>
    public HttpClient CreateClient(string apiKey)
    {
        var url = _listening.Task.IsCompletedSuccessfully ? _listening.Task.Result : throw new InvalidOperationException($"Replica {Name} is not listening.");
        var client = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        return client;
    }

    /// <summary>The replica's kept console output.</summary>
    public IReadOnlyList<string> Output => [.. _output];

    /// <summary>State and the last lines of output, for failure messages.</summary>
    public string Describe()
    {
        var state = _process.HasExited ? $"exited with code {_process.ExitCode}" : "running";
        return $"--- replica {Name} (pid {_process.Id}, {state}), last {_output.Count} lines of output:\n{string.Join('\n', _output)}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    /// <summary>The dotnet host running the tests (dotnet test runs them as "dotnet testhost.dll"), else the one on PATH.</summary>
    private static string DotnetHost =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";

    private void Keep(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        while (_output.Count > KeptLines) _output.TryDequeue(out _);
        if (!_listening.Task.IsCompleted && ListeningAddress(line) is { } url) _listening.TrySetResult(url);
    }

    /// <summary>The address of Kestrel's "Now listening on" event in the service's compact JSON log.</summary>
    private static Uri? ListeningAddress(string line)
    {
        if (!line.StartsWith('{') || !line.Contains("ListeningOnAddress", StringComparison.Ordinal)) return null;
        try
        {
            using var json = JsonDocument.Parse(line);
            return json.RootElement.TryGetProperty("address", out var address) && address.GetString() is { } text ? new Uri(text) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
