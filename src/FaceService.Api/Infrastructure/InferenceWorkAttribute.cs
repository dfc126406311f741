
namespace FaceService.Api.Infrastructure;

/// <summary>Marks a controller or action whose requests run the face models and so count against the inference limit.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class InferenceWorkAttribute : Attribute;
