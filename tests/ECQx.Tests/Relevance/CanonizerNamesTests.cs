using ECQx.Relevance.Lrp;
using Xunit;

namespace ECQx.Tests.Relevance;

/// <summary>Every canonizer has one name; the reference's command-line values are aliases of those names.</summary>
public class CanonizerNamesTests
{
    [Theory]
    [InlineData("bn_affine", "bn_affine")]
    [InlineData("resnet", "bn_affine")]
    [InlineData("VGG", "bn_affine")]
    [InlineData("resnetcifar", "bn_affine")]
    [InlineData("", "bn_affine")]
    [InlineData("merge_bn", "merge_bn")]
    [InlineData("fold", "merge_bn")]
    [InlineData("none", "none")]
    public void AnAliasCreatesTheCanonizerItNames(string requested, string name)
    {
        Assert.Equal(name, Canonizers.Create(requested).Name);
        Assert.Contains(name, Canonizers.Names);
    }

    [Fact]
    public void EveryAliasNamesACanonizerAndUnknownNamesListThemAll()
    {
        Assert.All(Canonizers.Aliases.Values, v => Assert.Contains(v, Canonizers.Names));
        Assert.DoesNotContain(Canonizers.Aliases.Keys, Canonizers.Names.Contains);
        var e = Assert.Throws<ArgumentException>(() => Canonizers.Create("zennit"));
        Assert.Contains("zennit", e.Message);
        Assert.Contains("resnet = bn_affine", e.Message);
    }
}
