using System;
using System.IO;
using Microsoft.Win32.SafeHandles;
using SpliceModule.Interop;
using SpliceModule.Transfer;

namespace SpliceModule.Tests;

/// <summary>
/// A private temporary directory with helpers to make files and byte transfers; removed on dispose.
/// The one fixture for a unit test that needs a directory or a path: <c>using var scratch = new Scratch();</c>.
/// </summary>
internal sealed class Scratch : IDisposable
{
    public Scratch()
    {
        Directory = Path.Combine(Path.GetTempPath(), "splicemodule-unit-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>What this process holds open inside the scratch directory (link targets from
    /// /proc/self/fd, settled first): a leak check that other threads' descriptors (the runtime's
    /// epoll, a socket a finalizer has not closed yet) cannot upset, as they could a count.</summary>
    public string[] DescriptorsInside()
    {
        Settle();
        var inside = new System.Collections.Generic.List<string>();
        foreach (string fd in System.IO.Directory.GetFiles("/proc/self/fd"))
        {
            string? target = new FileInfo(fd).LinkTarget;
            if (target is not null && (target == Directory || target.StartsWith(Directory + "/", StringComparison.Ordinal)))
            {
                inside.Add(target);
            }
        }

        return inside.ToArray();
    }

    /// <summary>This process's open descriptors; settled first (with <paramref name="settle"/>) so
    /// that a handle an earlier test dropped and a finalizer closes later does not change a count.</summary>
    public static int OpenDescriptors(bool settle = true)
    {
        if (settle)
        {
            Settle();
        }

        return System.IO.Directory.GetFiles("/proc/self/fd").Length;
    }

    /// <summary>Closes what dropped handles' finalizers would close later.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    public static byte[] Bytes(int size, int seed = 1)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public string Write(string name, byte[] content)
    {
        string path = PathOf(name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static SafeFileHandle OpenRead(string path) => Sys.Open(path, Flags.O_RDONLY);

    public static SafeFileHandle OpenNew(string path, int extraFlags = 0) =>
        Sys.Open(path, Flags.O_WRONLY | Flags.O_CREAT | Flags.O_TRUNC | extraFlags, 0b110_100_100);

    /// <summary>A transfer from one regular file to another, sized as FileCopier would size it.</summary>
    public static ByteTransfer FileTransfer(SafeFileHandle source, string sourcePath, SafeFileHandle destination, string destinationPath) =>
        new(source, FileKind.File, sourcePath, destination, FileKind.File, destinationPath)
        {
            SourceSize = Sys.Stat(source, sourcePath).Size,
        };

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
