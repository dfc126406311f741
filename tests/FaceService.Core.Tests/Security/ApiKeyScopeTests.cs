using FaceService.Core.Security;
using FaceService.Core.Services;

namespace FaceService.Core.Tests.Security;

/// <summary>Scope rules and the key format (pure).</summary>
public sealed class ApiKeyScopeTests
{
    [Fact]
    public void Roles_nest_and_star_covers_every_collection()
    {
        var writer = ApiKeyScope.Parse(["write"], ["a"]);
        Assert.True(writer.Allows(ApiKeyRole.Read, "a"));
        Assert.True(writer.Allows(ApiKeyRole.Write, "a"));
        Assert.False(writer.Allows(ApiKeyRole.Admin, "a"));
        Assert.False(writer.Allows(ApiKeyRole.Read, "b"));
        Assert.Equal(["read", "write"], writer.RoleNames);

        var everything = ApiKeyScope.Parse(["read", "admin"], ["a", "*"]);
        Assert.Equal(["*"], everything.Collections);
        Assert.True(everything.Allows(ApiKeyRole.Admin, "anything"));
        Assert.True(everything.Covers(writer));
        Assert.False(writer.Covers(everything));
        Assert.False(ApiKeyScope.Parse(["admin"], ["a"]).Covers(ApiKeyScope.Parse(["read"], ["*"])));
        Assert.False(ApiKeyScope.Parse(["read"], ["a", "b"]).Covers(writer));
    }

    [Fact]
    public void Generated_keys_parse_to_their_id_and_other_text_does_not()
    {
        var (keyId, key) = ApiKeySecret.Generate();
        Assert.True(ApiKeySecret.TryParseKeyId(key, out var parsed));
        Assert.Equal(keyId, parsed);
        Assert.NotEqual(key, ApiKeySecret.Generate().Key);
        foreach (var bad in new[] { "", "fs_", key[..^1], key.Replace("fs_", "xx_"), "fs_ABCDEF0123456789_" + key[^43..], key + "A" })
            Assert.False(ApiKeySecret.TryParseKeyId(bad, out _), bad);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("owner")]
    public void Unknown_roles_are_refused(string role) =>
        Assert.Throws<FaceServiceException>(() => ApiKeyScope.Parse([role], ["a"]));
}
