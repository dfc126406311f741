namespace FaceService.TestSupport;

/// <summary>The real PostgreSQL + pgvector test database that scripts/setup.sh creates; FACESERVICE_TEST_DB overrides it.</summary>
public static class TestDb
{
    public const string DefaultConnectionString =
        "Host=localhost;Port=5432;Database=faceservice_test;Username=faceservice;Password=faceservice";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("FACESERVICE_TEST_DB") is { Length: > 0 } configured ? configured : DefaultConnectionString;
}
