using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FaceService.Core.Services;
using Prometheus;

namespace FaceService.Api.Metrics;

/// <summary>
/// Publishes the service's own .NET meters ("FaceService*": faces embedded, recognition batch sizes, ...) as real
/// Prometheus counters (<c>_total</c>) and histograms. prometheus-net's generic meter adapter would export counters as
/// gauges; it keeps handling the runtime's and Npgsql's meters.
/// </summary>
public sealed class MeterPrometheusExporter : IHostedService, IDisposable
{
    private static readonly double[] DefaultBuckets = Histogram.ExponentialBuckets(1, 2, 10);

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string LabelNames), Collector?> _collectors = new();

    public static bool IsOwnMeter(Meter meter) => meter.Name.StartsWith(FaceServiceMetrics.MeterName, StringComparison.Ordinal);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (IsOwnMeter(instrument.Meter)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var sorted = tags.ToArray().OrderBy(t => t.Key, StringComparer.Ordinal).ToArray();
        var labelNames = sorted.Select(t => t.Key.Replace('.', '_')).ToArray();
        var labelValues = sorted.Select(t => t.Value?.ToString() ?? "").ToArray();
        var collector = _collectors.GetOrAdd((instrument, string.Join(',', labelNames)), key => Create(key.Instrument, labelNames));
        switch (collector)
        {
            case Counter counter: counter.WithLabels(labelValues).Inc(value); break;
            case Histogram histogram: histogram.WithLabels(labelValues).Observe(value); break;
        }
    }

    private static Collector? Create(Instrument instrument, string[] labelNames)
    {
        var name = instrument.Name.Replace('.', '_').Replace('-', '_');
        var help = string.IsNullOrEmpty(instrument.Unit) ? instrument.Description ?? name : $"{instrument.Description} ({instrument.Unit})";
        return instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> => Prometheus.Metrics.CreateCounter(name + "_total", help, labelNames),
            Histogram<long> or Histogram<int> or Histogram<double> => Prometheus.Metrics.CreateHistogram(name, help, labelNames,
                new HistogramConfiguration { Buckets = DefaultBuckets }),
            // Gauges and up-down counters are not used by the service; throwing here would disable the instrument.
            _ => null,
        };
    }
}
