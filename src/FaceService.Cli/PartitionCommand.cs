using FaceService.CommandLine;
using FaceService.Core.Naming;
using FaceService.Storage;

namespace FaceService.Cli;

/// <summary>
/// partition &lt;collection&gt; | partitions: gives a large collection a partition of identify's templates and an HNSW
/// graph of its own (docs/SCALING.md, section 5), or lists the collections that have one. Needs no models.
/// </summary>
public static class PartitionCommand
{
    public const string Usage = """
        faceservice partition <collection> [--connection <string>]
          Moves the collection's subject templates out of the shared partition into one of its own, with its own HNSW
          graph: worth it for a collection far above Storage:ExactSearchMaxSubjects (from about 100,000 subjects), or
          for a tenant whose searches should not share a graph. Writes to faces wait while it runs (about 6 minutes per
          million subjects on 2 cores); searches go on. Deleting the collection drops its partition.
        """;

    public const string ListUsage = """
        faceservice partitions [--connection <string>]
          The collections with a partition of their own, with their subjects.
        """;

    public static readonly string[] Options = ["connection"];
    public static readonly string[] Flags = ["verbose"];

    public static Task<int> RunAsync(ToolArguments args, CliConsole console, CancellationToken ct)
    {
        var name = CollectionName.Parse(args.Positionals[0]);
        return CliHost.WithStoreServiceAsync<PgCollectionPartitions>(args, async partitions =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var partition = PgCollectionPartitions.PartitionName(name);
            console.Error.WriteLine(await partitions.GiveOwnPartitionAsync(name, ct)
                ? $"Collection '{name}' now has its own partition {partition} ({clock.Elapsed.TotalSeconds:F1} s)."
                : $"Collection '{name}' already has its own partition {partition}.");
            return ExitCodes.Ok;
        }, ct);
    }

    public static Task<int> ListAsync(ToolArguments args, CliConsole console, CancellationToken ct) =>
        CliHost.WithStoreServiceAsync<PgCollectionPartitions>(args, async partitions =>
        {
            foreach (var (collection, partition, subjects) in await partitions.ListAsync(ct))
                console.Out.WriteLine($"{collection}\t{partition}\t{subjects} subjects");
            return ExitCodes.Ok;
        }, ct);
}
