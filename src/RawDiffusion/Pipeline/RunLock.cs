using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RawDiffusion.IO;

namespace RawDiffusion.Pipeline;

/// <summary>
/// One writer per run folder. The writer holds <c>run.lock</c> open with an exclusive lock (on Linux and macOS .NET
/// takes it with flock, which the kernel releases when the process ends in any way, SIGKILL included, so a lock is
/// never left stale by a crash) and records who it is in <c>run.lock.owner</c> (PID, host, command, start time) for
/// the message a second writer gets. The lock file itself is never deleted: a process that opened it just before a
/// delete would lock an orphaned inode while a third locked a new file, and both would write.
/// </summary>
public sealed class RunLock : IDisposable
{
    public const string FileName = "run.lock";
    public const string OwnerFileName = "run.lock.owner";

    /// <summary>Who holds (or last held) a run folder's lock.</summary>
    public sealed record Owner(int Pid, string Host, string Command, DateTime StartedUtc)
    {
        public override string ToString() =>
            $"PID {Pid} on host {Host} (`{Command}`, since {StartedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC)";
    }

    readonly FileStream handle;
    readonly string ownerPath;

    RunLock(FileStream handle, string ownerPath, Owner? reclaimedFrom, int removedTemporaries)
    {
        this.handle = handle;
        this.ownerPath = ownerPath;
        ReclaimedFrom = reclaimedFrom;
        RemovedTemporaries = removedTemporaries;
    }

    /// <summary>The owner recorded by a previous writer that ended without releasing the lock (killed or crashed), or null.</summary>
    public Owner? ReclaimedFrom { get; }

    /// <summary>Temporary files of writes a killed writer left unfinished, deleted on taking the lock (the files they
    /// were to replace are intact: every write goes to a temporary first and is renamed over the target).</summary>
    public int RemovedTemporaries { get; }

    /// <summary>Takes the lock of the run folder <paramref name="root"/> (creating the folder), or throws an
    /// <see cref="IOException"/> naming the process that holds it.</summary>
    public static RunLock Acquire(string root, string command)
    {
        Directory.CreateDirectory(root);
        string lockPath = Path.Combine(root, FileName), ownerPath = Path.Combine(root, OwnerFileName);
        FileStream handle;
        try { handle = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            var holder = ReadOwner(ownerPath);
            string who = holder != null && IsAlive(holder) ? holder.ToString() : "another process";
            throw new IOException($"{root} is being written by {who}: one writer per run folder; wait for it to finish or stop it (nothing was changed)", e);
        }
        try
        {
            var previous = ReadOwner(ownerPath);
            var me = new Owner(Environment.ProcessId, Environment.MachineName, command, DateTime.UtcNow);
            string json = JsonSerializer.Serialize(me);
            AtomicFile.Write(ownerPath, s => s.Write(System.Text.Encoding.UTF8.GetBytes(json)));
            handle.SetLength(0);
            handle.Write(System.Text.Encoding.UTF8.GetBytes(me + Environment.NewLine));
            handle.Flush();
            int removed = previous != null ? AtomicFile.RemoveLeftovers(root) : 0;
            return new RunLock(handle, ownerPath, previous, removed);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the temporary files of writes a killed process left under <paramref name="folder"/> (call it only
    /// as the folder's sole writer); returns how many there were.</summary>
    public static int RemoveUnfinishedWrites(string folder) => AtomicFile.RemoveLeftovers(folder);

    /// <summary>The recorded owner, or null when there is none or it cannot be read (a reader must never fail on it).</summary>
    public static Owner? ReadOwner(string ownerPath)
    {
        try { return File.Exists(ownerPath) ? JsonSerializer.Deserialize<Owner>(File.ReadAllText(ownerPath)) : null; }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Whether the owner's process still runs (only knowable on this host; another host's owner counts as alive).</summary>
    public static bool IsAlive(Owner owner)
    {
        if (owner.Host != Environment.MachineName) return true;
        try
        {
            using var process = Process.GetProcessById(owner.Pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>Releases the lock; the owner record goes with it, so a record found later means its writer died.</summary>
    public void Dispose()
    {
        try { File.Delete(ownerPath); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        handle.Dispose();
    }
}
