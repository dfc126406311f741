using FaceService.Core.Naming;
using FaceService.Storage;

namespace FaceService.Cli.Tests;

/// <summary>partition &lt;collection&gt; and partitions against the test database.</summary>
public sealed class PartitionTests
{
    private static string[] Connection => ["--connection", TestEnvironment.ConnectionString];

    [Fact]
    public async Task A_collection_gets_its_own_partition_once_is_listed_and_loses_it_with_its_deletion()
    {
        var collection = CollectionName.Parse("cli-partition-" + Guid.NewGuid().ToString("N")[..8]);
        var partition = PgCollectionPartitions.PartitionName(collection);
        var (dataSource, store) = TestEnvironment.OpenStore();
        await using (dataSource)
        {
            try
            {
                var first = await Cli.RunAsync(["partition", collection.Value, .. Connection]);
                Assert.True(first.ExitCode == ExitCodes.Ok, first.Error);
                Assert.Contains($"now has its own partition {partition}", first.Error);

                var again = await Cli.RunAsync(["partition", collection.Value, .. Connection]);
                Assert.True(again.ExitCode == ExitCodes.Ok, again.Error);
                Assert.Contains("already has its own partition", again.Error);

                var listed = await Cli.RunAsync(["partitions", .. Connection]);
                Assert.Contains($"{collection.Value}\t{partition}\t0 subjects", listed.Out);
            }
            finally
            {
                await store.DeleteCollectionAsync(collection);
            }
            Assert.DoesNotContain(collection.Value, (await Cli.RunAsync(["partitions", .. Connection])).Out);
            Assert.Equal(ExitCodes.Usage, (await Cli.RunAsync(["partition", .. Connection])).ExitCode);
        }
    }
}
