namespace RawDiffusion.Backends;

public partial interface IBackend
{
    /// <summary>Softmax (or log-softmax when <paramref name="log"/>) of each contiguous row of x [rows, n] into
    /// y [rows, n] (y may be x). The row maximum is subtracted first, so large logits cannot overflow.</summary>
    void SoftmaxRows(DeviceBuffer x, long xOffset, DeviceBuffer y, long yOffset, int rows, int n, bool log);

    /// <summary>Gradient of <see cref="SoftmaxRows"/> from its saved output y and the output gradient g (all contiguous
    /// [rows, n]; dx may be g): softmax dx = y ⊙ (g − Σ g·y), log-softmax dx = g − exp(y) · Σ g.</summary>
    void SoftmaxBackwardRows(DeviceBuffer y, long yOffset, DeviceBuffer gradient, long gradientOffset,
                             DeviceBuffer dx, long dxOffset, int rows, int n, bool log);
}
