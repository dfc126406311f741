using System.ComponentModel;
using System.Globalization;

namespace FaceService.Core.Naming;

/// <summary>
/// Converts a name from and to its text, so that frameworks treat it as the simple string it is on the wire (ASP.NET
/// Core's API description, for one, would otherwise list a form field "collection" as "collection.Value"). An invalid
/// text fails with the name's own rule as the message.
/// </summary>
public sealed class NameTypeConverter<TName> : TypeConverter where TName : struct, INameValue<TName>
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) => sourceType == typeof(string);

    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) => destinationType == typeof(string);

    public override object ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        TName.TryCreate(value as string, out var problem) ?? throw new FormatException(problem);

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        value is TName name && destinationType == typeof(string) ? name.Value : base.ConvertTo(context, culture, value, destinationType);
}
