using System.Buffers;
using System.Runtime.InteropServices;

namespace RawDiffusion.Backends.Cpu;

/// <summary>
/// Packing buffers for one thread's share of a GEMM: rented from the shared array pool (so repeated products
/// allocate nothing and concurrent ones never share), pinned while in use, each piece starting on a cache line
/// so that aligned vector loads of packed panels never split lines.
/// </summary>
internal readonly unsafe struct GemmScratch<T> : IDisposable
    where T : unmanaged
{
    private const int AlignmentBytes = 64;

    private readonly T[] array;
    private readonly GCHandle handle;

    private GemmScratch(int packedALength, int packedBLength, int edgeTileLength)
    {
        int slack = AlignmentBytes / sizeof(T);
        array = ArrayPool<T>.Shared.Rent(packedALength + packedBLength + edgeTileLength + 3 * slack);
        handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        PackedA = AlignUp((T*)handle.AddrOfPinnedObject());
        PackedB = AlignUp(PackedA + packedALength);
        EdgeTile = AlignUp(PackedB + packedBLength);
    }

    public T* PackedA { get; }

    public T* PackedB { get; }

    public T* EdgeTile { get; }

    public static GemmScratch<T> Rent(int packedALength, int packedBLength, int edgeTileLength) =>
        new(packedALength, packedBLength, edgeTileLength);

    public void Dispose()
    {
        handle.Free();
        ArrayPool<T>.Shared.Return(array);
    }

    private static T* AlignUp(T* pointer) => (T*)(((nint)pointer + (AlignmentBytes - 1)) & ~(nint)(AlignmentBytes - 1));
}
