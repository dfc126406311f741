namespace FaceService.Api.Health;

/// <summary>Tags that sort the health checks: the ready ones answer /health/ready.</summary>
public static class HealthTags
{
    public const string Ready = "ready";
}
