using System.Globalization;

namespace RawDiffusion.IO;

/// <summary>
/// The header dict of a .npy file, a Python literal such as
/// {'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }. Parsing accepts the literal
/// subset numpy writes (strings, True/False, integers, tuples of integers) and checks the same
/// things numpy's reader does: exactly these three keys, a string descr, a bool fortran_order and
/// a tuple of non-negative integers as shape.
/// </summary>
internal sealed record NpyHeader(string Descr, bool FortranOrder, long[] Shape)
{
    /// <summary>numpy leaves room for the first axis to grow to this many digits without rewriting the data.</summary>
    private const int GrowthAxisMaxDigits = 21;

    private static readonly string[] ExpectedKeys = ["descr", "fortran_order", "shape"];

    /// <summary>Formats the dict exactly as numpy.save does, including its growth padding.</summary>
    public string Format()
    {
        string dict = $"{{'descr': '{Descr}', 'fortran_order': {(FortranOrder ? "True" : "False")}, 'shape': {FormatShape(Shape)}, }}";
        // A long has at most 20 characters, so the padding is never negative.
        int growthPadding = Shape.Length == 0 ? 0 : GrowthAxisMaxDigits - Shape[FortranOrder ? ^1 : 0].ToString().Length;
        return dict + new string(' ', growthPadding);
    }

    /// <summary>A shape as Python writes the tuple: "()", "(3,)", "(3, 4)".</summary>
    public static string FormatShape(long[] shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";

    public static NpyHeader Parse(string filePath, string text)
    {
        Dictionary<string, object> dict = new LiteralParser(filePath, text).ParseDict();
        if (dict.Count != ExpectedKeys.Length || !ExpectedKeys.All(dict.ContainsKey))
        {
            string actual = string.Join(", ", dict.Keys.Order(StringComparer.Ordinal).Select(key => $"'{key}'"));
            throw new NpyFormatException(filePath,
                $"header must have exactly the keys 'descr', 'fortran_order' and 'shape', but has {(actual.Length == 0 ? "none" : actual)}");
        }
        if (dict["descr"] is not string descr)
        {
            throw new NpyFormatException(filePath, $"header 'descr' must be a string, but it is {Show(dict["descr"])}");
        }
        if (dict["fortran_order"] is not bool fortranOrder)
        {
            throw new NpyFormatException(filePath, $"header 'fortran_order' must be True or False, but it is {Show(dict["fortran_order"])}");
        }
        if (dict["shape"] is not long[] shape || shape.Any(dimension => dimension < 0))
        {
            throw new NpyFormatException(filePath, $"header 'shape' must be a tuple of non-negative integers, but it is {Show(dict["shape"])}");
        }
        return new NpyHeader(descr, fortranOrder, shape);
    }

    private static string Show(object value) => value switch
    {
        string text => $"'{text}'",
        bool flag => flag ? "True" : "False",
        long[] tuple => FormatShape(tuple),
        _ => value.ToString() ?? "",
    };

    /// <summary>
    /// Recursive-descent parser for the literal subset; values come back as string, bool, long,
    /// or long[] for a tuple.
    /// </summary>
    private sealed class LiteralParser(string filePath, string text)
    {
        private int position;

        public Dictionary<string, object> ParseDict()
        {
            SkipWhitespace();
            Expect('{');
            var dict = new Dictionary<string, object>(StringComparer.Ordinal);
            SkipWhitespace();
            while (Peek() != '}')
            {
                int keyPosition = position;
                string key = ParseString();
                SkipWhitespace();
                Expect(':');
                SkipWhitespace();
                object value = ParseValue();
                if (!dict.TryAdd(key, value))
                {
                    throw Error($"key '{key}' appears twice", keyPosition);
                }
                SkipWhitespace();
                if (Peek() == ',')
                {
                    position++;
                    SkipWhitespace();
                }
                else if (Peek() != '}')
                {
                    throw Error("expected ',' or '}'", position);
                }
            }
            position++;
            SkipWhitespace();
            if (position != text.Length)
            {
                throw Error("unexpected text after the closing '}'", position);
            }
            return dict;
        }

        private object ParseValue() => Peek() switch
        {
            '\'' or '"' => ParseString(),
            '(' => ParseTuple(),
            'T' => ParseWord("True", true),
            'F' => ParseWord("False", false),
            '-' or (>= '0' and <= '9') => ParseInteger(),
            _ => throw Error("expected a string, True, False, an integer or a tuple of integers", position),
        };

        /// <summary>Like Python, "(3)" is the integer 3 and only "(3,)" is a one-element tuple.</summary>
        private object ParseTuple()
        {
            Expect('(');
            var items = new List<long>();
            bool sawComma = false;
            SkipWhitespace();
            while (Peek() != ')')
            {
                items.Add(ParseInteger());
                SkipWhitespace();
                if (Peek() == ',')
                {
                    sawComma = true;
                    position++;
                    SkipWhitespace();
                }
                else if (Peek() != ')')
                {
                    throw Error("expected ',' or ')' in a tuple", position);
                }
            }
            position++;
            return items.Count == 1 && !sawComma ? items[0] : items.ToArray();
        }

        private string ParseString()
        {
            int start = position;
            char quote = Peek();
            if (quote is not ('\'' or '"'))
            {
                throw Error("expected a quoted string", position);
            }
            int end = text.IndexOf(quote, position + 1);
            if (end < 0)
            {
                throw Error("unterminated string", start);
            }
            string value = text[(position + 1)..end];
            if (value.Contains('\\'))
            {
                throw Error("escape sequences in strings are not supported", start);
            }
            position = end + 1;
            return value;
        }

        /// <summary>Accepts Python 2's "L" suffix, which old numpy versions wrote for long shapes.</summary>
        private long ParseInteger()
        {
            int start = position;
            if (Peek() == '-')
            {
                position++;
            }
            while (char.IsAsciiDigit(Peek()))
            {
                position++;
            }
            if (!long.TryParse(text.AsSpan(start, position - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                throw Error("expected an integer", start);
            }
            if (Peek() == 'L')
            {
                position++;
            }
            return value;
        }

        private bool ParseWord(string word, bool value)
        {
            if (string.CompareOrdinal(text, position, word, 0, word.Length) != 0)
            {
                throw Error($"expected {word}", position);
            }
            position += word.Length;
            return value;
        }

        private void Expect(char expected)
        {
            if (Peek() != expected)
            {
                throw Error($"expected '{expected}'", position);
            }
            position++;
        }

        private char Peek() => position < text.Length ? text[position] : '\0';

        private void SkipWhitespace()
        {
            while (position < text.Length && char.IsWhiteSpace(text[position]))
            {
                position++;
            }
        }

        private NpyFormatException Error(string problem, int at)
        {
            const int MaxShown = 200;
            string shown = string.IsNullOrWhiteSpace(text) ? "an empty header"
                : text.Length <= MaxShown ? text.TrimEnd()
                : text[..MaxShown] + "...";
            return new NpyFormatException(filePath,
                $"header is not a Python dict literal: {problem} at character {at} of {shown.Replace("\n", "\\n")}");
        }
    }
}
