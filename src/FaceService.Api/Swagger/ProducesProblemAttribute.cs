using FaceService.Api.Errors;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Swagger;

/// <summary>
/// Declares that an action (or every action of a controller) can answer with these error codes, all of one status.
/// API explorer sees a problem-details response for the status; the Swagger filter adds one example per code.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = true)]
public sealed class ProducesProblemAttribute : ProducesResponseTypeAttribute
{
    public ProducesProblemAttribute(params string[] codes)
        : base(typeof(ProblemDetails), StatusOf(codes), ApiProblems.ContentType)
    {
        Codes = codes;
    }

    public IReadOnlyList<string> Codes { get; }

    private static int StatusOf(string[] codes)
    {
        if (codes.Length == 0) throw new ArgumentException("Name at least one error code.", nameof(codes));
        var statuses = codes.Select(c => ErrorCatalog.Get(c).Status).Distinct().ToList();
        return statuses.Count == 1 ? statuses[0] : throw new ArgumentException($"Codes {string.Join(", ", codes)} have different statuses.", nameof(codes));
    }
}
