using System.Globalization;
using FaceService.Cli;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C stops cleanly (imports resume where they stopped); a second one kills the process.
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};
return await CliApp.RunAsync(args, CliConsole.System, interrupt.Token);
