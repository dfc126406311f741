using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace FaceService.Api.Errors;

/// <summary>
/// Answers known exceptions inside MVC, so that the request log and the HTTP metrics see the endpoint with its
/// final status; faults go on to <see cref="ProblemExceptionHandler"/>.
/// </summary>
public sealed class ApiExceptionFilter(ExceptionProblems problems) : IExceptionFilter
{
    public void OnException(ExceptionContext context)
    {
        if (problems.TryCreate(context.HttpContext, context.Exception) is not { } problem) return;
        context.Result = new ObjectResult(problem) { StatusCode = problem.Status, ContentTypes = { ApiProblems.ContentType } };
        context.ExceptionHandled = true;
    }
}
