using System;

namespace SpliceModule.Transfer;

/// <summary>Runs a <see cref="ByteTransfer"/> with the method asked for, or with the fastest that works.</summary>
internal static class CopyEngine
{
    private static readonly CopyStrategy[] FastestFirst =
    {
        new ReflinkStrategy(),
        new CopyFileRangeStrategy(),
        new SpliceStrategy(),
        new SendFileStrategy(),
        new ReadWriteStrategy(),
    };

    /// <summary>Copies the transfer and returns the method that did it. A forced method that cannot
    /// work is a <see cref="SpliceRefusedException"/>, never a silent switch to another.</summary>
    /// <param name="startAt">For Auto: skip the strategies before this one, which earlier files
    /// of the same tree showed cannot work here (saves a refused call and its exception per file).</param>
    public static CopyMethod Run(ByteTransfer transfer, CopyMethod method, CopyMethod startAt = CopyMethod.Auto)
    {
        if (method == CopyMethod.Auto)
        {
            int first = Math.Max(0, Array.FindIndex(FastestFirst, s => s.Method == startAt));
            for (int i = first; i < FastestFirst.Length; i++)
            {
                if (FastestFirst[i].TryCopy(transfer) is null)
                {
                    return FastestFirst[i].Method;
                }
            }

            throw new InvalidOperationException("ReadWrite copies everything it is given.");
        }

        var forced = Array.Find(FastestFirst, s => s.Method == method)
            ?? throw new SpliceRefusedException(Refusal.MethodNotSupported, $"The {method} method does not apply to a kernel copy.");
        string? whyNot = forced.TryCopy(transfer);
        if (whyNot is not null)
        {
            throw new SpliceRefusedException(
                Refusal.MethodNotSupported,
                $"The {method} method cannot copy '{transfer.SourcePath}' to '{transfer.DestinationPath}': {whyNot}");
        }

        return method;
    }
}
