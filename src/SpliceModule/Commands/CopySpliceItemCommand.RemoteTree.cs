using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using SpliceModule.Transfer;

namespace SpliceModule.Commands;

/// <summary>
/// Copy-SpliceItem -Recurse -ToSession / -FromSession of a directory: the tree goes as one stream
/// (RemoteTreeCopy), walked on the side that holds it and written on the other through the same
/// safe path as a local tree copy. Items that fail are errors of their own, with the far host named.
/// </summary>
public sealed partial class CopySpliceItemCommand
{
    /// <summary>A local directory to each session's host, one host after another, walked once.</summary>
    private void CopyTreeToSessions(string source)
    {
        var sessions = DistinctSessions().Where(s => ShouldProcess($"Item: {source} Destination: {Destination} ComputerName: {s.ComputerName}", "Copy Directory")).ToList();
        if (sessions.Count == 0)
        {
            return;
        }

        OutgoingTree tree;
        try
        {
            tree = new OutgoingTree(source, WalkOptions(), Preserve, Verify, keepMethods: PassThru);
        }
        catch (Exception e) when (IsItemError(e))
        {
            WriteFailure(e, source);
            return;
        }

        using (tree)
        {
            var header = tree.Header;
            var progress = _progress!;
            foreach (var session in sessions)
            {
                progress.TotalBytes = progress.CompletedBytes + header.Bytes;
                try
                {
                    var done = RemoteTreeCopy.ToHost(HostFor(session), tree, Destination!, TreeOptions(), Cancellation, sent => progress.Report($"{source} to {session.ComputerName}", sent));
                    progress.CompletedBytes += header.Bytes;
                    ReportFarTree(done, source, session.ComputerName, tree);
                    WriteVerbose($"Copied '{source}' to '{session.ComputerName}': {header.Files} files, {header.Bytes} bytes by {Transport}.");
                }
                catch (Exception e) when (IsItemError(e) || e is ArgumentException)
                {
                    WriteRemoteFailure(e, source);
                }
            }
        }
    }

    /// <summary>A directory of the session's host, here; false when the far path is no directory
    /// (it is then copied as a file).</summary>
    private bool TryCopyTreeFromSession(string source, PSSession session, string destination)
    {
        TreeReporter? reporter = null;
        try
        {
            if (!RemoteTreeCopy.FromHost(HostFor(session), source, destination, TreeOptions(), Cancellation, header => reporter = new TreeReporter(this, _progress!, $"{source} from {session.ComputerName}", header.Files, header.Bytes)))
            {
                return false;
            }

            reporter!.Finish();
            WriteVerbose($"Copied '{source}' from '{session.ComputerName}': {reporter.Items} items, {reporter.Bytes} bytes by {Transport}.");
        }
        catch (Exception e) when (IsItemError(e) || e is ArgumentException)
        {
            reporter?.Finish();
            WriteRemoteFailure(e, source);
        }

        return true;
    }

    private RemoteCopyOptions TreeOptions() => Options() with { FollowSymlinks = FollowSymlink, Filter = Filter, Exclude = Exclude, ListItems = PassThru };

    /// <summary>What the far host made of a tree: each failed item an error naming it and the host,
    /// its warnings, and with -PassThru each item made (a file with how this side sent it).</summary>
    private void ReportFarTree(Hashtable done, string source, string computer, OutgoingTree tree)
    {
        if (done["Counted"] is { } answer && PSObject.AsPSObject(answer).BaseObject is Hashtable counted)
        {
            Tally.Add(counted);
        }

        foreach (var failure in Answers(done["Failures"]).OfType<Hashtable>())
        {
            var error = new RemoteCopyException((string)failure["ErrorId"]!, $"On '{computer}': {failure["Message"]}") { Category = failure["Category"] as string };
            WriteRemoteFailure(error, failure["Path"] as string ?? source);
        }

        foreach (var warning in Answers(done["Warnings"]))
        {
            WriteWarning($"On '{computer}': {warning}");
        }

        if (!PassThru)
        {
            return;
        }

        foreach (var item in Answers(done["Items"]).OfType<Hashtable>())
        {
            long bytes = item["Bytes"] is { } given ? Convert.ToInt64(given) : 0;
            string from = item["Source"] as string ?? source;
            var method = tree.MethodOf(from);
            // The length a local copy shows: the source's (a sparse file's holes are not among the
            // bytes sent; a link's is its own, as lstat gives it).
            WriteRemoteItem(new FileCopyResult(from, (string)item["Path"]!, method ?? CopyMethod.ReadWrite, bytes, TimeSpan.Zero) { Sha256 = item["Sha256"] as string }, computer, SizeOf(from), isFile: method is not null);
        }
    }

    /// <summary>A list as it came back over the session (each element unwrapped).</summary>
    private static IEnumerable<object> Answers(object? value) =>
        (value is null ? null : PSObject.AsPSObject(value).BaseObject) is IEnumerable list and not string
            ? list.Cast<object>().Where(o => o is not null).Select(o => PSObject.AsPSObject(o).BaseObject)
            : Array.Empty<object>();
}
