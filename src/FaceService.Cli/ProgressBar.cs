using System.Diagnostics;
using System.Globalization;

namespace FaceService.Cli;

/// <summary>
/// Progress of a long run with rate and ETA. On a terminal one line is redrawn in place (at most 10 times a second);
/// otherwise (redirected output, CI logs) a line is written at every tenth of the work, so logs stay short.
/// Thread-safe: workers report as they finish.
/// </summary>
public sealed class ProgressBar
{
    private const int BarWidth = 28;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _writer;
    private readonly string _label;
    private readonly int _total;
    private readonly bool _interactive;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _done;
    private int _skipped;
    private int _faces;
    private int _refused;
    private int _lastDecile;
    private TimeSpan _lastDraw = TimeSpan.MinValue;
    private bool _lineOpen;

    public ProgressBar(TextWriter writer, string label, int total, bool interactive)
    {
        (_writer, _label, _total, _interactive) = (writer, label, total, interactive);
        if (_interactive) Draw();
    }

    /// <summary>One image finished, with the faces it contributed (and, where faces can be turned away, those refused).</summary>
    public void Advance(int faces, int refused = 0)
    {
        lock (_lock)
        {
            _done++;
            _faces += faces;
            _refused += refused;
            Report();
        }
    }

    /// <summary>One image passed over without work (done before, in a resumed run): it counts as done, not in the rate.</summary>
    public void Skip()
    {
        lock (_lock)
        {
            _done++;
            _skipped++;
            Report();
        }
    }

    // Under _lock.
    private void Report()
    {
        if (_interactive)
        {
            if (_clock.Elapsed - _lastDraw >= RedrawInterval || _done == _total) Draw();
        }
        else if (_total > 0 && _done * 10 / _total > _lastDecile)
        {
            _lastDecile = _done * 10 / _total;
            _writer.WriteLine(Status());
        }
    }

    /// <summary>A line above the bar (a per-image problem), without tearing it.</summary>
    public void Note(string line)
    {
        lock (_lock)
        {
            if (_lineOpen) _writer.Write("\r\u001b[K");
            _writer.WriteLine(line);
            _lineOpen = false;
            if (_interactive) Draw();
        }
    }

    /// <summary>Ends the bar's line so that what follows starts on a fresh one.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (!_lineOpen) return;
            _writer.WriteLine();
            _lineOpen = false;
        }
    }

    private void Draw()
    {
        var filled = _total == 0 ? BarWidth : _done * BarWidth / _total;
        var line = $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] {Status()}";
        // A line wider than the terminal wraps, and "\r" would then redraw only its last row.
        var width = TerminalWidth();
        _writer.Write("\r\u001b[K" + (line.Length >= width ? line[..(width - 1)] : line));
        _writer.Flush();
        _lineOpen = true;
        _lastDraw = _clock.Elapsed;
    }

    private string Status()
    {
        var seconds = _clock.Elapsed.TotalSeconds;
        var percent = _total == 0 ? 100 : _done * 100 / _total;
        // Skipped images take no time: counting them would make a resumed run's rate and ETA far too hopeful.
        var rate = seconds > 0 ? (_done - _skipped) / seconds : 0;
        var eta = rate > 0 && _done < _total ? FormatDuration(TimeSpan.FromSeconds((_total - _done) / rate)) : "--:--";
        var counts = $" · {_faces} faces" + (_refused > 0 ? $", {_refused} refused" : "") + (_skipped > 0 ? $" · {_skipped} skipped" : "");
        return string.Create(CultureInfo.InvariantCulture,
            $"{_label} {_done}/{_total} {percent,3}% · {rate:F1} img/s · {(seconds > 0 ? _faces / seconds : 0):F1} faces/s{counts} · ETA {eta}");
    }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth > 1 ? Console.WindowWidth : int.MaxValue;
        }
        catch (IOException)
        {
            return int.MaxValue;
        }
    }

    public static string FormatDuration(TimeSpan span) => span.TotalHours >= 1
        ? $"{(int)span.TotalHours}:{span.Minutes:D2}:{span.Seconds:D2}"
        : $"{span.Minutes:D2}:{span.Seconds:D2}";
}
