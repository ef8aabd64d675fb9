# Shared by the pipeline cmdlets' test files and Copy-SpliceItem's progress tests (dot-sourced in
# BeforeAll). Peers run in their own runspace of this process (New-ModuleShell), so they see the
# same descriptor objects; every wait is bounded.

. (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')

function Start-Peer {
    param([Parameter(Mandatory)] [scriptblock] $Script, [object[]] $ArgumentList = @())
    $ps = New-ModuleShell
    $null = $ps.AddScript('param($script, [object[]] $arguments) $ErrorActionPreference = "Stop"; & ([scriptblock]::Create($script)) @arguments')
    $null = $ps.AddArgument($Script.ToString()).AddArgument([object[]]$ArgumentList)
    [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
}

# Returns the peer's output, or with -Progress the progress records it wrote.
function Wait-Peer {
    param([Parameter(Mandatory)] $Peer, [int] $TimeoutSec = 30, [switch] $Progress)
    try {
        if (-not $Peer.Handle.AsyncWaitHandle.WaitOne([timespan]::FromSeconds($TimeoutSec))) {
            $Peer.PowerShell.Stop()
            throw "The peer did not finish within $TimeoutSec s."
        }
        $output = $Peer.PowerShell.EndInvoke($Peer.Handle)
        if ($Peer.PowerShell.Streams.Error.Count -gt 0) { throw $Peer.PowerShell.Streams.Error[0] }
        if ($Progress) { return , @($Peer.PowerShell.Streams.Progress) }
        $output
    }
    finally { $Peer.PowerShell.Dispose() }
}

function Get-FreeTcpPort {
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# Connects to a peer that is about to listen: refused connections are retried for a while.
function Connect-Peer {
    param([Parameter(Mandatory)] [string] $Uri, [int] $TimeoutSec = 20)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSec)
    while ($true) {
        $descriptor = Open-SpliceDescriptor -Uri $Uri -TimeoutSec 5 -ErrorAction SilentlyContinue -ErrorVariable failed
        if ($descriptor) { return $descriptor }
        if ([DateTime]::UtcNow -gt $deadline) { throw $failed[0] }
        Start-Sleep -Milliseconds 50
    }
}

function New-Payload {
    param([int] $Size, [int] $Seed = 42)
    $bytes = [byte[]]::new($Size)
    [Random]::new($Seed).NextBytes($bytes)
    , $bytes
}

function Get-BytesHash {
    param([byte[]] $Bytes)
    [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([byte[]]$Bytes))
}

# Writes $Blocks pieces of 64 KiB into a FIFO, 50 ms apart: a transfer that lasts long enough for
# progress to show, whatever the machine's speed.
function Start-SlowFifoWriter {
    param([Parameter(Mandatory)] [string] $Fifo, [int] $Blocks = 30)
    Start-Peer {
        param($fifo, $blocks)
        $stream = [IO.File]::OpenWrite($fifo)
        try {
            $block = [byte[]]::new(65536)
            for ($i = 0; $i -lt $blocks; $i++) { $stream.Write($block, 0, $block.Length); $stream.Flush(); Start-Sleep -Milliseconds 50 }
        }
        finally { $stream.Dispose() }
    } $Fifo, $Blocks
}

# What every progress test checks: bytes and a rate while it runs, a percentage when the total is
# known, and a completed record at the end.
function Assert-TransferProgress {
    param([Parameter(Mandatory)] [object[]] $Records, [switch] $WithPercent)
    $Records.Count | Should -BeGreaterThan 1
    $Records[0].StatusDescription | Should -Match '(KiB|MiB) .*/s'
    if ($WithPercent) { ($Records | Where-Object PercentComplete -GT 0).Count | Should -BeGreaterThan 0 }
    $Records[-1].RecordType | Should -Be 'Completed'
}

function New-Fifo {
    param([Parameter(Mandatory)] [string] $Path)
    & mkfifo $Path
    if ($LASTEXITCODE -ne 0) { throw "mkfifo '$Path' failed." }
    $Path
}

# Descriptors this process holds, leaving out the assembly files .NET maps as it loads them lazily
# (their count grows with the features first used, which is no leak).
function Get-OpenFdCount {
    @(Get-ChildItem "/proc/$PID/fd" -ErrorAction SilentlyContinue |
        Where-Object { $_.LinkTarget -notmatch '\.(dll|so(\.[0-9]+)*)$' }).Count
}

# The first runspace maps more of PowerShell's assemblies, and .NET creates its socket engine (an
# epoll descriptor and a wake-up pipe) on first use; both stay for the life of the process. Let
# them exist before a test file counts its descriptors, and return that count. Descriptors that
# earlier test files left to the finalizer (a disposed process's output pipes, a runspace) are
# closed first, and the count is taken once it holds still, so that they do not close mid-file.
function Get-WarmFdBaseline {
    $port = Get-FreeTcpPort
    $peer = Start-Peer { param($port) (Open-SpliceDescriptor -Uri "tcp://127.0.0.1:$port" -Listen -TimeoutSec 20).Close() } $port
    (Connect-Peer "tcp://127.0.0.1:$port").Close()
    Wait-Peer $peer
    $count = -1
    for ($try = 0; $try -lt 20; $try++) {
        [GC]::Collect(); [GC]::WaitForPendingFinalizers()
        $now = Get-OpenFdCount
        if ($now -eq $count) { break }
        $count = $now
        Start-Sleep -Milliseconds 100
    }
    $count
}

# Measures how long stopping a [powershell] that runs $Script takes, once it has had time to block.
function Measure-Stop {
    param([Parameter(Mandatory)] [scriptblock] $Script, [object[]] $ArgumentList = @(), [int] $BlockMs = 700)
    $peer = Start-Peer $Script $ArgumentList
    try {
        Start-Sleep -Milliseconds $BlockMs
        if ($peer.Handle.IsCompleted) { throw "The command finished instead of blocking: $($peer.PowerShell.Streams.Error | Out-String)" }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $stopped = $peer.PowerShell.BeginStop($null, $null)
        if (-not $stopped.AsyncWaitHandle.WaitOne([timespan]::FromSeconds(10))) { throw 'The command did not stop within 10 s.' }
        $clock.Elapsed
    }
    finally { $peer.PowerShell.Dispose() }
}

# /dev/kmsg takes write(2) but refuses splice(2) (it has no splice_write) and never polls
# writable: a device where a transfer must go by read/write, and where a wait for it to be ready
# would never end. Returns a line to write there, unique to this call, at debug level (<7>) so
# that it stays off the console; $null where this process cannot write and read the kernel log.
function New-KernelLogLine {
    param([Parameter(Mandatory)] [string] $Tag)
    try { [IO.File]::Open('/dev/kmsg', 'Open', 'Write').Dispose() } catch { return $null }
    if ($null -eq (dmesg 2>$null)) { return $null }
    "<7>splicemodule-test $Tag $([guid]::NewGuid().ToString('N'))`n"
}

# True when the kernel log holds $Line (as New-KernelLogLine made it: the level prefix is not logged).
function Test-KernelLogLine {
    param([Parameter(Mandatory)] [string] $Line)
    $text = $Line.Substring(3).TrimEnd("`n")
    [bool](dmesg | Where-Object { $_.EndsWith($text) })
}
