using System.Collections.Concurrent;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace FaceService.Api.Tests.Infrastructure;

/// <summary>A test host whose Serilog events are also kept in memory, rendered with their properties.</summary>
public sealed class LogCapturingFactory(IReadOnlyDictionary<string, string?> settings) : ApiFactory
{
    public CapturingSink Sink { get; } = new();

    protected override IReadOnlyDictionary<string, string?> ExtraSettings => settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Serilog's ReadFrom.Services picks up sinks registered in the container.
        builder.ConfigureTestServices(services => services.AddSingleton<ILogEventSink>(Sink));
    }

    public sealed class CapturingSink : ILogEventSink
    {
        private readonly ConcurrentQueue<string> _events = new();

        public void Emit(LogEvent logEvent)
        {
            using var text = new StringWriter();
            logEvent.RenderMessage(text);
            foreach (var (name, value) in logEvent.Properties) text.Write($" {name}={value}");
            if (logEvent.Exception is not null) text.Write(" " + logEvent.Exception);
            _events.Enqueue(text.ToString());
        }

        public IReadOnlyList<string> Rendered() => _events.ToList();
    }
}
