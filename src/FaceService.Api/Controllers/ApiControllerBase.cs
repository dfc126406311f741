using FaceService.Api.Errors;
using FaceService.Api.Swagger;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>
/// JSON answers under /v1; every error is RFC 7807 problem details (application/problem+json) with a stable code. Every
/// endpoint needs an API key (X-API-Key) with the role its <see cref="Security.RequireRoleAttribute"/> names.
/// </summary>
[ApiController]
[Route("v1")]
[ProducesProblem(ErrorCodes.InternalError)]
[ProducesProblem(ErrorCodes.Unauthorized)]
[ProducesProblem(ErrorCodes.Forbidden)]
[ProducesProblem(ErrorCodes.RateLimited)]
public abstract class ApiControllerBase : ControllerBase;
