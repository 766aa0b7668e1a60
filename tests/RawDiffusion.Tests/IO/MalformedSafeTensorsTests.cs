using System.Text;
using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

/// <summary>Every way the reference reader rejects a file must raise a precise SafeTensorsFormatException.</summary>
public sealed class MalformedSafeTensorsTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private const string F32x4At0 = "\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]";

    public static TheoryData<string, byte[], string> Cases()
    {
        var cases = new TheoryData<string, byte[], string>();
        void Header(string name, string json, int dataBytes, string expected) =>
            cases.Add(name, RawSafeTensors.Build(json, dataBytes), expected);

        cases.Add("empty", [], "file is 0 bytes long, shorter than the 8-byte header length prefix");
        cases.Add("short", [1, 0, 0, 0, 0], "file is 5 bytes long, shorter than the 8-byte header length prefix");
        cases.Add("header_too_large", [.. RawSafeTensors.LengthPrefix(100_000_001), .. "{}"u8],
            "header length 100000001 exceeds the limit of 100000000 bytes");
        cases.Add("header_length_max", RawSafeTensors.LengthPrefix(ulong.MaxValue),
            "header length 18446744073709551615 exceeds the limit of 100000000 bytes");
        cases.Add("header_past_end", [.. RawSafeTensors.LengthPrefix(100), .. Encoding.UTF8.GetBytes("{\"a\":1}")],
            "header length 100 runs past the end of the file (the file has 15 bytes, the header needs 108)");
        cases.Add("invalid_utf8", RawSafeTensors.Build([(byte)'{', (byte)'"', (byte)'w', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []),
            "header is not valid UTF-8 (invalid byte sequence at header byte 3)");
        Header("invalid_json", "{\"w\": {\"dtype\": }", 0, "header is not valid JSON");
        Header("empty_header", "", 0, "header is not valid JSON");
        cases.Add("nul_padding", RawSafeTensors.Build([.. "{}"u8, 0, 0, 0, 0, 0, 0], []), "header is not valid JSON");
        Header("not_object", "[1, 2]", 0, "header JSON must be an object, but it is an array");
        Header("tensor_not_object", "{\"w\": 5}", 0,
            "tensor 'w' must be an object with dtype, shape and data_offsets, but it is a number");
        Header("unknown_dtype", "{\"w\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
            "tensor 'w' has unknown dtype 'F31' (supported: BOOL, U8, I8, F8_E4M3, F8_E5M2");
        Header("lowercase_dtype", "{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
            "tensor 'w' has unknown dtype 'f32'");
        Header("dtype_not_string", "{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
            "tensor 'w' has \"dtype\" 32, which is a number; it must be a string");
        Header("missing_dtype", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 'w' has no \"dtype\"");
        Header("missing_shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "tensor 'w' has no \"shape\"");
        Header("missing_offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 'w' has no \"data_offsets\"");
        Header("shape_not_array", "{\"w\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", 16,
            "tensor 'w' has \"shape\" 4, which is a number; it must be an array");
        Header("negative_dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}}", 16,
            "tensor 'w' has shape entry 1 = -2; dimensions must be non-negative integers");
        Header("fractional_dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,10]}}", 10,
            "tensor 'w' has shape entry 0 = 2.5; dimensions must be non-negative integers");
        Header("float_spelled_dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4.0],\"data_offsets\":[0,16]}}", 16,
            "tensor 'w' has shape entry 0 = 4.0; dimensions must be non-negative integers");
        Header("string_dimension", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}}", 16,
            "tensor 'w' has shape entry 0 = \"4\"; dimensions must be non-negative integers");
        Header("offsets_one_entry", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16]}}", 16,
            "tensor 'w' has data_offsets [16], which must hold exactly two offsets [begin, end]");
        Header("offsets_three_entries", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}}", 32,
            "tensor 'w' has data_offsets [0,16,32], which must hold exactly two offsets [begin, end]");
        Header("negative_offset", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[-16,0]}}", 16,
            "tensor 'w' has data_offsets [-16,0]; offsets must be non-negative integers");
        Header("begin_after_end", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
            "tensor 'w' has data_offsets [8, 4]: begin is after end");
        Header("size_mismatch", "{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12,
            "tensor 'fc.weight' has data_offsets [0, 12) (12 bytes) but shape [2, 2] of F32 needs 16 bytes");
        Header("element_count_overflow", "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,0],\"data_offsets\":[0,0]}}", 0,
            "tensor 'w' has shape [4294967296, 4294967296, 0] whose element count overflows 64 bits");
        Header("byte_size_overflow", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", 0,
            "tensor 'w' has shape [2305843009213693952] of F32 whose byte size overflows 64 bits");
        Header("dimension_beyond_int64", "{\"w\":{\"dtype\":\"U8\",\"shape\":[18446744073709551615],\"data_offsets\":[0,0]}}", 0,
            "tensor 'w' has shape entry 0 = 18446744073709551615; dimensions must be non-negative integers");
        Header("hole_at_start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
            "bytes [0, 4) of the data buffer belong to no tensor (a hole before the first tensor 'a')");
        Header("hole_between", "{\"a\":{" + F32x4At0 + "},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]}}", 24,
            "bytes [16, 20) of the data buffer belong to no tensor (a hole between tensors 'a' and 'b')");
        Header("overlap", "{\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]},\"a\":{" + F32x4At0 + "}}", 24,
            "tensors 'a' [0, 16) and 'b' [8, 24) overlap");
        Header("same_range_twice", "{\"a\":{" + F32x4At0 + "},\"b\":{" + F32x4At0 + "}}", 16,
            "tensors 'a' [0, 16) and 'b' [0, 16) overlap");
        Header("trailing_bytes", "{\"w\":{" + F32x4At0 + "}}", 20,
            "the file has 4 bytes after the last tensor's data (tensors cover 16 of 20 data bytes)");
        Header("trailing_bytes_no_tensors", "{}", 3, "the file has 3 bytes after the last tensor's data (tensors cover 0 of 3 data bytes)");
        Header("truncated_data", "{\"w\":{" + F32x4At0 + "}}", 8,
            "tensor 'w' ends at byte 16 of the data buffer, but the file holds only 8 bytes after the header (truncated?)");
        Header("metadata_value_number", "{\"__metadata__\":{\"epoch\":3}}", 0,
            "\"__metadata__\" entry 'epoch' must be a string, but it is a number 3");
        Header("metadata_value_object", "{\"__metadata__\":{\"config\":{\"lr\":\"0.1\"}}}", 0,
            "\"__metadata__\" entry 'config' must be a string, but it is an object");
        Header("metadata_not_object", "{\"__metadata__\":[\"a\"]}", 0, "\"__metadata__\" must be an object of strings, but it is an array");
        Header("duplicate_tensor", "{\"w\":{" + F32x4At0 + "},\"w\":{" + F32x4At0 + "}}", 16, "tensor 'w' appears twice in the header");
        Header("duplicate_metadata", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "\"__metadata__\" appears twice in the header");
        return cases;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Open_rejects_malformed_file_naming_file_and_problem(string caseName, byte[] content, string expectedProblem)
    {
        string path = folder.Write(caseName + ".safetensors", content);

        var exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path).Dispose());

        Assert.StartsWith(caseName + ".safetensors: ", exception.Message);
        Assert.Contains(expectedProblem, exception.Message);
        Assert.Equal(path, exception.FilePath);
    }

    [Fact]
    public void Size_mismatch_message_reads_exactly()
    {
        string path = folder.Write("w.safetensors",
            RawSafeTensors.Build("{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12));

        var exception = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));

        Assert.Equal("w.safetensors: tensor 'fc.weight' has data_offsets [0, 12) (12 bytes) but shape [2, 2] of F32 needs 16 bytes",
            exception.Message);
    }

    [Fact]
    public void Exception_is_a_FormatException() =>
        Assert.IsAssignableFrom<FormatException>(new SafeTensorsFormatException("x.safetensors", "problem"));
}
