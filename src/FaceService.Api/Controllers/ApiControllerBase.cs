using FaceService.Api.Errors;
using FaceService.Api.Swagger;
using Microsoft.AspNetCore.Mvc;

namespace FaceService.Api.Controllers;

/// <summary>JSON answers under /v1; every error is RFC 7807 problem details (application/problem+json) with a stable code.</summary>
[ApiController]
[Route("v1")]
[ProducesProblem(ErrorCodes.InternalError)]
public abstract class ApiControllerBase : ControllerBase;
