using System.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace FaceService.Api.Errors;

/// <summary>RFC 7807 problem details with the API's stable <c>code</c> extension and the request's trace id.</summary>
public static class ApiProblems
{
    public const string ContentType = "application/problem+json";
    public const string TypePrefix = "urn:faceservice:problem:";

    public static ProblemDetails Create(HttpContext http, ErrorDefinition error, string detail, string? target = null) =>
        Stamp(Apply(new ProblemDetails { Detail = detail }, error, target), http);

    public static ObjectResult Result(HttpContext http, ErrorDefinition error, string detail, string? target = null) =>
        new(Create(http, error, detail, target)) { StatusCode = error.Status, ContentTypes = { ContentType } };

    /// <summary>[ApiController]'s answer to a failed model binding: 400 validation_failed with the field errors.</summary>
    public static IActionResult FromModelState(ActionContext context)
    {
        var errors = ToErrors(context);
        // One wrong field is answered like the services answer it: its message as the detail, its name as the target.
        var single = errors.Count == 1 && errors.First().Value is [var message] ? (Field: errors.First().Key, Message: message) : default;
        var problem = new ValidationProblemDetails(errors) { Detail = single.Message ?? "One or more fields are missing or invalid." };
        Stamp(Apply(problem, ErrorCatalog.ValidationFailed, single.Field), context.HttpContext);
        return new ObjectResult(problem) { StatusCode = problem.Status, ContentTypes = { ContentType } };
    }

    /// <summary>
    /// Runs for the problems the framework writes (status-code pages, [ApiController] client errors, the exception
    /// handler): gives bare statuses their code, and stamps instance and trace id.
    /// </summary>
    public static void Customize(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        // A problem of ours keeps its code, type and title: MVC's writer (used for middleware-written problems on
        // [ApiController] endpoints) calls this on a fresh copy that has our type but not yet our extensions.
        if (!problem.Extensions.ContainsKey("code") && problem.Type?.StartsWith(TypePrefix, StringComparison.Ordinal) != true)
            Apply(problem, ErrorCatalog.ForStatus(problem.Status ?? context.HttpContext.Response.StatusCode), null);
        Stamp(problem, context.HttpContext);
    }

    private static TProblem Stamp<TProblem>(TProblem problem, HttpContext http) where TProblem : ProblemDetails
    {
        problem.Instance ??= http.Request.Path;
        problem.Extensions["traceId"] = Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier;
        problem.Extensions["requestId"] = http.TraceIdentifier;
        return problem;
    }

    private static TProblem Apply<TProblem>(TProblem problem, ErrorDefinition error, string? target) where TProblem : ProblemDetails
    {
        problem.Status = error.Status;
        problem.Title = error.Title;
        problem.Type = TypePrefix + error.Code;
        problem.Extensions["code"] = error.Code;
        if (target is not null) problem.Extensions["target"] = target;
        return problem;
    }

    // A JSON body's errors are keyed by their JSON path ("$.collection"): named by the field instead. A body that failed
    // to parse is also reported as missing; that follow-on error is dropped when the parse error itself is there.
    private static Dictionary<string, string[]> ToErrors(ActionContext context)
    {
        var errors = context.ModelState.Where(e => e.Value is { Errors.Count: > 0 })
            .ToDictionary(e => e.Key.StartsWith("$.", StringComparison.Ordinal) ? e.Key[2..] : e.Key,
                e => e.Value!.Errors.Select(x => string.IsNullOrEmpty(x.ErrorMessage) ? "The value is not valid." : x.ErrorMessage).ToArray());
        if (context.ModelState.Keys.Any(k => k.StartsWith('$')))
            foreach (var body in context.ActionDescriptor.Parameters.Where(p => p.BindingInfo?.BindingSource == BindingSource.Body))
                errors.Remove(body.Name);
        return errors;
    }
}
