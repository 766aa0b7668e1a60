namespace RawDiffusion.Backends.Cpu;

/// <summary>Functions the BCL lacks, accurate to double precision so float64 gradient checks of GELU hold.</summary>
internal static class SpecialFunctions
{
    const double InvSqrt2 = 0.70710678118654752440;
    const double InvSqrt2Pi = 0.39894228040143267794;

    public static double NormalPdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    public static double NormalCdf(double x) => 0.5 * Erfc(-x * InvSqrt2);

    /// <summary>erfc(x): the Maclaurin series of erf for |x| &lt; 2.5 (about 1e-15 absolute), a Lentz continued
    /// fraction for erfc beyond, which stays accurate in the far tail where 1 − erf would cancel.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax < 2.5)
        {
            double sum = ax, term = ax, x2 = ax * ax;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            double erf = 2 / Math.Sqrt(Math.PI) * sum;
            return x >= 0 ? 1 - erf : 1 + erf;
        }
        if (ax > 27) return x > 0 ? 0 : 2;
        // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), modified Lentz.
        double tiny = 1e-300, f = ax, c = ax, d = 0;
        for (int k = 1; k < 300; k++)
        {
            double ak = k * 0.5;
            d = ax + ak * d;
            d = Math.Abs(d) < tiny ? tiny : d;
            c = ax + ak / c;
            c = Math.Abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        double tail = Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        return x > 0 ? tail : 2 - tail;
    }
}
