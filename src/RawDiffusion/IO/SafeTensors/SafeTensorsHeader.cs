using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace RawDiffusion.IO;

/// <summary>
/// The parsed and fully validated JSON header of one safetensors file. Validation follows the
/// reference Rust reader: every entry well-formed, byte sizes matching shapes, and the tensors
/// tiling the data buffer exactly, without holes, overlaps or trailing bytes.
/// </summary>
internal sealed class SafeTensorsHeader
{
    public const string MetadataKey = "__metadata__";

    private SafeTensorsHeader(
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<SafeTensorInfo> tensorsInDataOrder,
        IReadOnlyDictionary<string, SafeTensorInfo> tensorsByName)
    {
        Metadata = metadata;
        TensorsInDataOrder = tensorsInDataOrder;
        TensorsByName = tensorsByName;
    }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IReadOnlyList<SafeTensorInfo> TensorsInDataOrder { get; }

    public IReadOnlyDictionary<string, SafeTensorInfo> TensorsByName { get; }

    /// <param name="filePath">Used only to name the file in error messages.</param>
    /// <param name="json">The N header bytes that follow the length prefix.</param>
    /// <param name="dataLength">Bytes in the file after the header, which the tensors must tile exactly.</param>
    public static SafeTensorsHeader Parse(string filePath, byte[] json, long dataLength)
    {
        if (!Utf8.IsValid(json))
        {
            throw Error(filePath, $"header is not valid UTF-8 (invalid byte sequence at header byte {FirstInvalidUtf8Offset(json)})");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException exception)
        {
            throw Error(filePath, $"header is not valid JSON: {exception.Message}", exception);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(filePath, $"header JSON must be an object, but it is {Describe(root.ValueKind)}");
            }

            IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
            var tensorsByName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var headerOrder = new List<SafeTensorInfo>();
            bool sawMetadata = false;
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata)
                    {
                        throw Error(filePath, $"\"{MetadataKey}\" appears twice in the header");
                    }
                    sawMetadata = true;
                    metadata = ParseMetadata(filePath, property.Value);
                    continue;
                }
                if (tensorsByName.ContainsKey(property.Name))
                {
                    throw Error(filePath, $"tensor '{property.Name}' appears twice in the header");
                }
                SafeTensorInfo info = ParseTensor(filePath, property.Name, property.Value);
                tensorsByName.Add(info.Name, info);
                headerOrder.Add(info);
            }

            List<SafeTensorInfo> dataOrder = CheckTiling(filePath, headerOrder, dataLength);
            return new SafeTensorsHeader(metadata, dataOrder, tensorsByName);
        }
    }

    private static Dictionary<string, string> ParseMetadata(string filePath, JsonElement element)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        // The reference reader types metadata as Option<HashMap<String, String>>, so null means none.
        if (element.ValueKind == JsonValueKind.Null)
        {
            return metadata;
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Error(filePath, $"\"{MetadataKey}\" must be an object of strings, but it is {Describe(element.ValueKind)}");
        }
        foreach (JsonProperty entry in element.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(filePath,
                    $"\"{MetadataKey}\" entry '{entry.Name}' must be a string, but it is {Describe(entry.Value.ValueKind)} {entry.Value.GetRawText()}");
            }
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                throw Error(filePath, $"\"{MetadataKey}\" has the key '{entry.Name}' twice");
            }
        }
        return metadata;
    }

    private static SafeTensorInfo ParseTensor(string filePath, string name, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw Error(filePath, $"tensor '{name}' must be an object with dtype, shape and data_offsets, but it is {Describe(entry.ValueKind)}");
        }

        JsonElement dtypeElement = RequiredField(filePath, name, entry, "dtype", JsonValueKind.String);
        string dtypeName = dtypeElement.GetString()!;
        if (!SafeTensorDTypes.TryParseHeaderName(dtypeName, out SafeTensorDType dtype))
        {
            throw Error(filePath, $"tensor '{name}' has unknown dtype '{dtypeName}' (supported: {SafeTensorDTypes.SupportedNames})");
        }

        JsonElement shapeElement = RequiredField(filePath, name, entry, "shape", JsonValueKind.Array);
        var shape = new long[shapeElement.GetArrayLength()];
        int axis = 0;
        foreach (JsonElement dimension in shapeElement.EnumerateArray())
        {
            shape[axis] = NonNegativeInteger(filePath, dimension,
                $"tensor '{name}' has shape entry {axis} = {dimension.GetRawText()}; dimensions must be non-negative integers");
            axis++;
        }

        JsonElement offsetsElement = RequiredField(filePath, name, entry, "data_offsets", JsonValueKind.Array);
        if (offsetsElement.GetArrayLength() != 2)
        {
            throw Error(filePath,
                $"tensor '{name}' has data_offsets {offsetsElement.GetRawText()}, which must hold exactly two offsets [begin, end]");
        }
        string offsetsProblem =
            $"tensor '{name}' has data_offsets {offsetsElement.GetRawText()}; offsets must be non-negative integers";
        long begin = NonNegativeInteger(filePath, offsetsElement[0], offsetsProblem);
        long end = NonNegativeInteger(filePath, offsetsElement[1], offsetsProblem);
        if (begin > end)
        {
            throw Error(filePath, $"tensor '{name}' has data_offsets [{begin}, {end}]: begin is after end");
        }

        string shapeText = Shapes.Format(shape);
        if (!Shapes.TryGetElementCount(shape, out long elementCount))
        {
            throw Error(filePath, $"tensor '{name}' has shape {shapeText} whose element count overflows 64 bits");
        }
        int elementSize = dtype.SizeInBytes();
        if (elementCount > long.MaxValue / elementSize)
        {
            throw Error(filePath, $"tensor '{name}' has shape {shapeText} of {dtype.HeaderName()} whose byte size overflows 64 bits");
        }
        long neededBytes = elementCount * elementSize;
        if (end - begin != neededBytes)
        {
            throw Error(filePath,
                $"tensor '{name}' has data_offsets [{begin}, {end}) ({end - begin} bytes) but shape {shapeText} of {dtype.HeaderName()} needs {neededBytes} bytes");
        }

        return new SafeTensorInfo(name, dtype, shape, begin, end, elementCount);
    }

    /// <summary>
    /// Sorts by offsets (as the reference reader does) and checks that the tensors cover
    /// [0, dataLength) exactly once; returns them in data order.
    /// </summary>
    private static List<SafeTensorInfo> CheckTiling(string filePath, List<SafeTensorInfo> headerOrder, long dataLength)
    {
        // OrderBy is stable, so zero-byte tensors sharing an offset keep their header order.
        List<SafeTensorInfo> dataOrder = headerOrder.OrderBy(t => t.Begin).ThenBy(t => t.End).ToList();
        long covered = 0;
        SafeTensorInfo? previous = null;
        foreach (SafeTensorInfo tensor in dataOrder)
        {
            if (tensor.Begin > covered)
            {
                string where = previous is null
                    ? $"before the first tensor '{tensor.Name}'"
                    : $"between tensors '{previous.Name}' and '{tensor.Name}'";
                throw Error(filePath, $"bytes [{covered}, {tensor.Begin}) of the data buffer belong to no tensor (a hole {where})");
            }
            if (tensor.Begin < covered)
            {
                throw Error(filePath,
                    $"tensors '{previous!.Name}' [{previous.Begin}, {previous.End}) and '{tensor.Name}' [{tensor.Begin}, {tensor.End}) overlap");
            }
            covered = tensor.End;
            previous = tensor;
        }

        if (covered > dataLength)
        {
            throw Error(filePath,
                $"tensor '{previous!.Name}' ends at byte {covered} of the data buffer, but the file holds only {dataLength} bytes after the header (truncated?)");
        }
        if (covered < dataLength)
        {
            throw Error(filePath,
                $"the file has {dataLength - covered} bytes after the last tensor's data (tensors cover {covered} of {dataLength} data bytes)");
        }
        return dataOrder;
    }

    private static JsonElement RequiredField(string filePath, string tensorName, JsonElement entry, string field, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(field, out JsonElement value))
        {
            throw Error(filePath, $"tensor '{tensorName}' has no \"{field}\"");
        }
        if (value.ValueKind != kind)
        {
            throw Error(filePath,
                $"tensor '{tensorName}' has \"{field}\" {value.GetRawText()}, which is {Describe(value.ValueKind)}; it must be {Describe(kind)}");
        }
        return value;
    }

    /// <summary>
    /// Accepts only digit-only JSON numbers up to long.MaxValue, so "-1", "2.0" and "1e3" are
    /// rejected like the reference reader's usize fields reject them.
    /// </summary>
    private static long NonNegativeInteger(string filePath, JsonElement element, string problem)
    {
        if (element.ValueKind == JsonValueKind.Number
            && element.GetRawText().All(char.IsAsciiDigit)
            && element.TryGetInt64(out long value))
        {
            return value;
        }
        throw Error(filePath, problem);
    }

    private static int FirstInvalidUtf8Offset(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length
            && Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) == System.Buffers.OperationStatus.Done)
        {
            offset += consumed;
        }
        return offset;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static SafeTensorsFormatException Error(string filePath, string problem, Exception? inner = null) =>
        new(filePath, problem, inner);
}
