using System;
using System.Collections;
using System.IO;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Net;
using System.Security.Cryptography;
using System.Threading;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// A PSSession made ready for remote copies, once per session and command: open, in full language
/// mode, on Linux, and with this module at this very build loaded there. Nothing has to be
/// installed on the far host: when the module is missing it is sent over the session into a
/// per-user cache (LocalApplicationData/SpliceModule/VERSION-BUILD, BUILD the start of the dll's SHA-256), each file checked by SHA-256, and
/// imported from there; a later copy finds it cached.
/// </summary>
internal sealed class RemoteHost
{
    private RemoteHost(PSSession session, IPAddress? client)
    {
        Session = session;
        ClientAddress = client;
    }

    public PSSession Session { get; }

    public string ComputerName => Session.ComputerName;

    /// <summary>This host's address on the session's SSH connection (where a FromSession copy
    /// listens), or null when the session does not run over SSH.</summary>
    public IPAddress? ClientAddress { get; }

    public static RemoteHost Prepare(PSSession session, CancellationToken cancellation)
    {
        RequireAvailable(session);

        var probe = (Hashtable)Run(session, RemoteScripts.Probe, new Hashtable(), cancellation);
        if (probe["Linux"] is not true)
        {
            throw new RemoteCopyException("RemoteNotLinux", $"'{session.ComputerName}' does not run Linux: remote copies need the Linux kernel's sendfile and splice on both ends. Copy-Item -ToSession/-FromSession copies to and from other systems.");
        }

        var files = OwnFiles.Value;
        string version = typeof(RemoteHost).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        string dllHash = (string)files[DllName]!;
        if (probe["LoadedVersion"] is string loaded && !string.Equals(probe["LoadedHash"] as string, dllHash, StringComparison.OrdinalIgnoreCase))
        {
            throw new RemoteCopyException("RemoteModuleConflict", $"The session to '{session.ComputerName}' has SpliceModule {loaded} loaded, another build than this one ({version}); a loaded module cannot be replaced: use a new session.");
        }

        if (probe["LoadedVersion"] is not string)
        {
            // One cache per build, not per version: hosts shared by builds of one version (a CI
            // machine, several checkouts) must not replace each other's files under a loaded module.
            Bootstrap(session, $"{version}-{dllHash[..16].ToLowerInvariant()}", files, cancellation);
        }

        IPAddress? client = null;
        if (probe["SshConnection"] is string ssh && ssh.Length > 0)
        {
            client = SshConnection.Parse(ssh).Client;
        }

        return new RemoteHost(session, client);
    }

    public static void RequireAvailable(PSSession session)
    {
        if (session.Availability != RunspaceAvailability.Available)
        {
            throw new RemoteCopyException("SessionIsNotAvailable", $"The session to '{session.ComputerName}' is {session.Availability}; it must be Available for a copy.");
        }
    }

    private static void Bootstrap(PSSession session, string version, Hashtable hashes, CancellationToken cancellation)
    {
        var parameters = new Hashtable { ["Version"] = version, ["Hashes"] = hashes };
        for (int round = 0; round < 2; round++)
        {
            object answer = Run(session, RemoteScripts.ImportCached, parameters, cancellation);
            if (answer is "imported")
            {
                return;
            }

            foreach (object name in answer is IEnumerable names and not string ? names.Cast<object>() : new[] { answer })
            {
                string relative = name.ToString()!;
                byte[] bytes = File.ReadAllBytes(Path.Combine(ModuleBase, relative));
                try
                {
                    Run(session, RemoteScripts.CacheFile, new Hashtable { ["Version"] = version, ["Name"] = relative, ["Bytes"] = bytes }, cancellation, expectOutput: false);
                }
                catch (RemoteCopyException e) when (e.ErrorId == "RemoteScriptFailed")
                {
                    throw new RemoteCopyException("RemoteModuleNotLoaded", $"SpliceModule could not be brought to '{session.ComputerName}': its file '{relative}' could not be cached there. {e.Message}");
                }
            }
        }

        throw new RemoteCopyException("RemoteModuleNotLoaded", $"SpliceModule could not be brought to '{session.ComputerName}': the cached files did not match what was sent.");
    }

    private const string DllName = "SpliceModule.dll";

    private static string ModuleBase => Path.GetDirectoryName(typeof(RemoteHost).Assembly.Location)!;

    /// <summary>The module's files, read once a process at its first remote copy: a module
    /// upgraded, rebuilt or removed on disk after that does not change what this process says it
    /// is, and a later copy does not fail on files that are gone. Not kept when the read fails,
    /// so that the next copy tries again.</summary>
    private static readonly Lazy<Hashtable> OwnFiles = new(ReadOwnFiles, LazyThreadSafetyMode.PublicationOnly);

    /// <summary>The module's files (relative name: SHA-256).</summary>
    private static Hashtable ReadOwnFiles()
    {
        var files = new Hashtable(StringComparer.Ordinal);
        try
        {
            foreach (string file in Directory.EnumerateFiles(ModuleBase, "*", SearchOption.AllDirectories))
            {
                using var stream = File.OpenRead(file);
                files[Path.GetRelativePath(ModuleBase, file)] = Convert.ToHexString(SHA256.HashData(stream));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RemoteCopyException("RemoteModuleNotLoaded", $"SpliceModule's own files in '{ModuleBase}' could not be read to bring them to the far host: {e.Message}");
        }

        if (files[DllName] is not string)
        {
            throw new RemoteCopyException("RemoteModuleNotLoaded", $"SpliceModule's own files in '{ModuleBase}' are not all there ({DllName} is missing), so they cannot be brought to the far host; import the module again.");
        }

        return files;
    }

    private static object Run(PSSession session, string script, IDictionary parameters, CancellationToken cancellation, bool expectOutput = true)
    {
        using var call = new RemoteInvocation(session, script, parameters);
        return expectOutput ? call.Next(cancellation) : call.WaitForEnd(cancellation);
    }
}
