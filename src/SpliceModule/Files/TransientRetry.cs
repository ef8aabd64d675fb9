using System;
using SpliceModule.Interop;

namespace SpliceModule.Transfer;

/// <summary>
/// -Retry: a file that fails with an error that may go away by itself (EAGAIN, EBUSY: a mount or a
/// lock in the way; ETXTBSY: a program running from it; EIO: a network file system that lost its
/// server for a moment) is tried again, from the start, after -RetryDelay. Any other error, and the
/// last try's error, is reported at once. Ctrl+C ends the wait.
/// </summary>
internal static class TransientRetry
{
    /// <summary>Makes <paramref name="attempt"/> into <paramref name="slot"/>, and each further try
    /// into the slot looked at again (<see cref="DestinationSlot.LookedAtAgain"/>).</summary>
    public static T Run<T>(FileCopyRequest request, DestinationSlot slot, Func<DestinationSlot, T> attempt) =>
        Run(request, slot, attempt, static (target, once) => once(target));

    /// <summary>The same with the attempt's inputs passed in rather than captured: a static attempt
    /// costs no closure, which a tree copy would otherwise make for every file.</summary>
    public static T Run<TState, T>(FileCopyRequest request, DestinationSlot slot, TState state, Func<DestinationSlot, TState, T> attempt)
    {
        var target = slot;
        for (int tried = 1; ; tried++)
        {
            try
            {
                return attempt(target, state);
            }
            catch (SpliceException e) when (tried <= request.Retries && IsTransient(e.Errno))
            {
                request.OnRetry?.Invoke($"Copying '{request.SourcePath}' failed with {e.ErrnoName} (try {tried} of {request.Retries + 1}); trying again in {request.RetryDelay.TotalSeconds:0.###} s: {e.Message}");
                if (request.Cancellation.WaitHandle.WaitOne(request.RetryDelay))
                {
                    request.Cancellation.ThrowIfCancellationRequested();
                }

                target = slot.LookedAtAgain();
            }
        }
    }

    private static bool IsTransient(int errno) => errno is Errno.EAGAIN or Errno.EBUSY or Errno.ETXTBSY or Errno.EIO;
}
