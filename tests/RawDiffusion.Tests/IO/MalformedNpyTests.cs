using System.Text;
using RawDiffusion.IO;

namespace RawDiffusion.Tests.IO;

public sealed class MalformedNpyTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static byte[] Npy(byte major, byte minor, string header, int dataBytes)
    {
        byte[] headerBytes = Encoding.ASCII.GetBytes(header);
        byte[] length = major == 1 ? BitConverter.GetBytes((ushort)headerBytes.Length) : BitConverter.GetBytes((uint)headerBytes.Length);
        return [0x93, .. "NUMPY"u8, major, minor, .. length, .. headerBytes, .. new byte[dataBytes]];
    }

    private static string Dict(string descr = "'<f4'", string fortran = "False", string shape = "(3, 4)") =>
        $"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape}, }}\n";

    public static TheoryData<string, byte[], string> Cases() => new()
    {
        { "empty", [], "not a .npy file: it does not start with the magic bytes \\x93NUMPY" },
        { "short", [0x93, (byte)'N', (byte)'U'], "not a .npy file" },
        { "bad_magic", [0x93, .. "NUMPX"u8, 1, 0, 0, 0], "not a .npy file: it does not start with the magic bytes \\x93NUMPY" },
        { "pickle", [0x80, 0x04, 0x95, 0, 0, 0, 0, 0, 0, 0], "not a .npy file" },
        { "no_version", [0x93, .. "NUMPY"u8, 1], "file is 7 bytes long and ends inside the version bytes" },
        { "version_4", Npy(4, 0, Dict(), 48), "unsupported .npy format version 4.0 (supported: 1.0, 2.0, 3.0)" },
        { "version_1_1", Npy(1, 1, Dict(), 48), "unsupported .npy format version 1.1" },
        { "no_length", [0x93, .. "NUMPY"u8, 2, 0, 7, 0], "file is 10 bytes long and ends inside the header length field" },
        { "header_past_end", [0x93, .. "NUMPY"u8, 1, 0, 0xF4, 0x01, .. "{}"u8], "header length 500 runs past the end of the file (the file has 12 bytes, the header needs 510)" },
        { "complex", Npy(1, 0, Dict(descr: "'<c8'"), 96), "unsupported descr '<c8' (supported: <f2, <f4, <f8, |i1, <i2, <i4, <i8, |u1, <u2, <u4, <u8, |b1)" },
        { "unicode", Npy(1, 0, Dict(descr: "'<U5'"), 240), "unsupported descr '<U5'" },
        { "object", Npy(1, 0, Dict(descr: "'|O'"), 96), "unsupported descr '|O'" },
        { "big_endian", Npy(1, 0, Dict(descr: "'>f4'"), 48), "descr '>f4' is big-endian, which is not supported; re-save it little-endian" },
        { "native_order", Npy(1, 0, Dict(descr: "'=f8'"), 96), "descr '=f8' does not state little-endian byte order ('<f8')" },
        { "structured", Npy(1, 0, Dict(descr: "[('x', '<f4')]"), 48), "header is not a Python dict literal: expected a string, True, False, an integer or a tuple of integers at character 10" },
        { "header_list", Npy(1, 0, "[1, 2]\n", 0), "header is not a Python dict literal: expected '{' at character 0 of [1, 2]" },
        { "header_garbage_after", Npy(1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x\n", 4), "unexpected text after the closing '}'" },
        { "missing_key", Npy(1, 0, "{'descr': '<f4', 'shape': (3,), }\n", 12), "header must have exactly the keys 'descr', 'fortran_order' and 'shape', but has 'descr', 'shape'" },
        { "extra_key", Npy(1, 0, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", 4), "but has 'descr', 'fortran_order', 'shape', 'x'" },
        { "duplicate_key", Npy(1, 0, "{'descr': '<f4', 'descr': '<f4', 'shape': (1,)}\n", 4), "key 'descr' appears twice" },
        { "shape_parenthesized_int", Npy(1, 0, Dict(shape: "(3)"), 12), "header 'shape' must be a tuple of non-negative integers, but it is 3" },
        { "shape_negative", Npy(1, 0, Dict(shape: "(3, -4)"), 12), "header 'shape' must be a tuple of non-negative integers, but it is (3, -4)" },
        { "shape_string", Npy(1, 0, Dict(shape: "'3'"), 12), "header 'shape' must be a tuple of non-negative integers, but it is '3'" },
        { "descr_not_string", Npy(1, 0, Dict(descr: "4"), 12), "header 'descr' must be a string, but it is 4" },
        { "fortran_not_bool", Npy(1, 0, Dict(fortran: "0"), 48), "header 'fortran_order' must be True or False, but it is 0" },
        { "unterminated_string", Npy(1, 0, "{'descr: '<f4'}\n", 0), "header is not a Python dict literal: expected ':' at character" },
        { "truncated", Npy(1, 0, Dict(), 40), "data truncated: shape (3, 4) of '<f4' needs 48 bytes after the header, but the file has only 40" },
        { "truncated_v2", Npy(2, 0, Dict(descr: "'<i8'", shape: "(5,)"), 39), "data truncated: shape (5,) of '<i8' needs 40 bytes after the header, but the file has only 39" },
        { "shape_overflow", Npy(1, 0, Dict(shape: "(4294967296, 4294967296)"), 0), "shape (4294967296, 4294967296) has more elements than 64 bits can count" },
        { "empty_header", Npy(1, 0, "", 0), "header is not a Python dict literal: expected '{' at character 0" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Read_rejects_malformed_file_naming_file_and_problem(string caseName, byte[] content, string expectedProblem)
    {
        string path = folder.Write(caseName + ".npy", content);

        var exception = Assert.Throws<NpyFormatException>(() => NpyFile.Read(path));

        Assert.StartsWith(caseName + ".npy: ", exception.Message);
        Assert.Contains(expectedProblem, exception.Message);
        Assert.Equal(path, exception.FilePath);
    }

    [Fact]
    public void Version_3_header_must_be_valid_utf8()
    {
        byte[] header = [.. "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'n\u00e9': 1}"u8, 0xC3, 0x28, (byte)'\n'];
        byte[] bytes = [0x93, .. "NUMPY"u8, 3, 0, .. BitConverter.GetBytes((uint)header.Length), .. header, 0, 0, 0, 0];
        string path = folder.Write("v3.npy", bytes);

        var exception = Assert.Throws<NpyFormatException>(() => NpyFile.Read(path));

        Assert.Equal("v3.npy: version 3 header is not valid UTF-8", exception.Message);
    }
}
