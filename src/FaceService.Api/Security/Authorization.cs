using FaceService.Api.Errors;
using FaceService.Core.Security;
using FaceService.Core.Naming;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.Filters;

namespace FaceService.Api.Security;

/// <summary>
/// The role an action needs. Checked by the authorization middleware before the body is read (a key that lacks the role
/// in every collection gets 403 without uploading anything); the collection itself is checked by
/// <see cref="CollectionScopeFilter"/> once the request is bound.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
public sealed class RequireRoleAttribute(ApiKeyRole role) : AuthorizeAttribute(PolicyName(role))
{
    public ApiKeyRole Role { get; } = role;

    public static string PolicyName(ApiKeyRole role) => "role:" + ApiKeyScope.RoleName(role);
}

/// <summary>A request body or form that names the collection it reads or writes.</summary>
public interface ICollectionScoped
{
    /// <summary>The collection (the default collection when the request names none).</summary>
    CollectionName Collection { get; }

    /// <summary>False when this request touches no stored data (e.g. verify of two uploads).</summary>
    bool UsesCollection => true;
}

/// <summary>
/// 403 forbidden when the request's collection (a <see cref="CollectionName"/> parameter, or a bound
/// <see cref="ICollectionScoped"/> body) is outside the key's scope for the action's <see cref="RequireRoleAttribute"/>
/// role. Requests that name their collection are checked here, once, for every action; services whose answer spans
/// collections (collections, faces by id, keys, audit) take the caller's scope instead.
/// </summary>
public sealed class CollectionScopeFilter : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        var required = context.ActionDescriptor.EndpointMetadata.OfType<RequireRoleAttribute>().Select(r => (ApiKeyRole?)r.Role).Max();
        if (required is { } role && TargetCollection(context) is { } collection)
        {
            var caller = context.HttpContext.Caller();
            if (!caller.Scope.Allows(role, collection.Value))
            {
                context.Result = ApiProblems.Result(context.HttpContext, ErrorCatalog.Forbidden,
                    $"This key may not {ApiKeyScope.RoleName(role)} collection '{collection}'.", "collection");
                return;
            }
        }
        await next();
    }

    private static CollectionName? TargetCollection(ActionExecutingContext context)
    {
        foreach (var parameter in context.ActionDescriptor.Parameters)
        {
            if (parameter.ParameterType == typeof(CollectionName))
                return context.ActionArguments.TryGetValue(parameter.Name, out var value) && value is CollectionName named ? named : CollectionName.Default;
            if (context.ActionArguments.TryGetValue(parameter.Name, out var body) && body is ICollectionScoped { UsesCollection: true } scoped)
                return scoped.Collection;
        }
        return null;
    }
}
