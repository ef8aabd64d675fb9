#Requires -Version 7.4
<#
.SYNOPSIS
    Measures the pipeline cmdlets side by side with what a user would pick instead:
    1. Write-VmSplice of 1 GiB into a kernel pipe drained to /dev/null, against a FileStream
       writing the same bytes into the same pipe (goal: at least 4x the throughput), with the
       1 MiB block repeated and with the block changed before every write;
    2. Invoke-Tee -LiteralPath of 1 GiB from a FIFO to 4 files, against coreutils tee, with the
       user CPU of each (goal: no slower, user CPU near zero), back to back and again with the
       same memory state before every run (see Reset-MemoryState), and to tmpfs; and from a
       regular file to 4 files, which Invoke-Tee reads once into private memory as coreutils
       tee does (goal: parity);
    3. a file sent to a loopback TCP socket, and a socket received into a file, with Invoke-Splice
       against Stream.CopyTo (goal: at least 1.5x); the far end is the same for both, and for the
       send once more with each tool on both ends.
    Contenders run in the same session, their order rotating every round, with sync before each;
    medians of 7 rounds (3 with -Quick, which also shrinks the sizes). Results go to
    ResultsPath/Pipelines.md and Pipelines.json.
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../out/SpliceModule'),
    [string] $ResultsPath = (Join-Path $PSScriptRoot 'results'),
    [switch] $Quick
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module $ModulePath -Force
# The runspace peers of the test suite (Start-Peer, Wait-Peer, Connect-Peer, Get-FreeTcpPort) import the module from here.
$env:SPLICEMODULE_TEST_MODULE = $ModulePath
. (Join-Path $PSScriptRoot '../tests/Pester/Pipelines.Helpers.ps1')
. (Join-Path $PSScriptRoot 'MemoryState.ps1')

$Size = if ($Quick) { 64MB } else { 1GB }
$SizeText = if ($Size -ge 1GB) { "$($Size / 1GB) GiB" } else { "$($Size / 1MB) MiB" }
$Rounds = if ($Quick) { 3 } else { 7 }
$Chunk = [byte[]]::new(1MB)
[Random]::new(1).NextBytes($Chunk)
$Scratch = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-bench-$PID"
New-Item -ItemType Directory -Path $Scratch -Force | Out-Null
$SourceFile = Join-Path $Scratch 'source.bin'
1..($Size / 1MB) | ForEach-Object { , $Chunk } | Write-VmSplice -Destination $SourceFile

function Get-UserCpu { [Diagnostics.Process]::GetCurrentProcess().UserProcessorTime.TotalSeconds }
# CPU time (user + system, ns precision) of the calling thread: the thread that runs a socket
# contender, without the far end, which runs on another thread of this process.
function Get-ThreadCpu { [double]([IO.File]::ReadAllText('/proc/thread-self/schedstat').Split(' ')[0]) / 1e9 }

# Runs each contender once per round in rotating order; returns every measurement per contender.
function Measure-Contenders {
    param([string] $Comparison, [System.Collections.Specialized.OrderedDictionary] $Contenders)
    $names = @($Contenders.Keys)
    $runs = @{}
    foreach ($name in $names) { $runs[$name] = [System.Collections.Generic.List[object]]::new() }
    for ($round = 0; $round -lt $Rounds + 1; $round++) {
        $order = $names[($round % $names.Count)..($names.Count - 1)] + $names[0..($round % $names.Count)] | Select-Object -First $names.Count
        foreach ($name in $order) {
            & sync
            $measurement = & $Contenders[$name]
            if ($round -gt 0) { $runs[$name].Add($measurement) }   # round 0 warms up
        }
    }
    foreach ($name in $names) {
        $seconds = @($runs[$name] | ForEach-Object { $_["Seconds"] } | Sort-Object)
        $user = @($runs[$name] | ForEach-Object { $_["UserSeconds"] } | Where-Object { $null -ne $_ } | Sort-Object)
        $thread = @($runs[$name] | ForEach-Object { $_["ThreadCpu"] } | Where-Object { $null -ne $_ } | Sort-Object)
        [pscustomobject]@{
            Comparison     = $Comparison
            Contender      = $name
            MedianSeconds  = [math]::Round($seconds[[int][math]::Floor($seconds.Count / 2)], 4)
            MiBPerSecond   = [math]::Round($Size / 1MB / $seconds[[int][math]::Floor($seconds.Count / 2)], 1)
            # Beside the median: on a 2-vCPU VM the kernel copies of splice into a file ran either
            # fast or 3-5x slower per process, depending on how the threads were placed.
            BestSeconds    = [math]::Round($seconds[0], 4)
            WorstSeconds   = [math]::Round($seconds[-1], 4)
            MedianUserCpu  = if ($user.Count) { [math]::Round($user[[int][math]::Floor($user.Count / 2)], 4) } else { $null }
            MedianThreadCpu = if ($thread.Count) { [math]::Round($thread[[int][math]::Floor($thread.Count / 2)], 4) } else { $null }
        }
    }
}

# 1. Into a pipe drained to /dev/null by a splice loop in another runspace.
$pipe = New-KernelPipe -Capacity 1MB
$devNull = Open-SpliceDescriptor -LiteralPath /dev/null -Access Write
function Measure-IntoPipe([scriptblock] $Write) {
    $drain = Start-Peer { param($pipe, $sink, $size) $null = Invoke-Splice -Source $pipe -Destination $sink -Length $size -TimeoutSec 60 } $pipe, $devNull, $Size
    Start-Sleep -Milliseconds 500   # the drainer's runspace start is not part of the measurement
    $clock = [Diagnostics.Stopwatch]::StartNew()
    & $Write
    Wait-Peer $drain -TimeoutSec 600
    @{ Seconds = $clock.Elapsed.TotalSeconds }
}
$pipeResults = Measure-Contenders "Write-VmSplice $SizeText into a pipe" ([ordered]@{
        'Write-VmSplice -Pipe' = { Measure-IntoPipe { 1..($Size / 1MB) | ForEach-Object { , $Chunk } | Write-VmSplice -Pipe $pipe -TimeoutSec 60 } }
        # A repeated block is mapped from the same pages again; a buffer refilled before every
        # write (here: its first byte) is copied into fresh pages each time.
        'Write-VmSplice -Pipe, the block changed each time' = {
            $changing = $Chunk.Clone()
            Measure-IntoPipe { 1..($Size / 1MB) | ForEach-Object { $changing[0] = [byte]($_ % 256); , $changing } | Write-VmSplice -Pipe $pipe -TimeoutSec 60 }
        }
        'Write-VmSplice -Destination /dev/null' = {
            $clock = [Diagnostics.Stopwatch]::StartNew()
            1..($Size / 1MB) | ForEach-Object { , $Chunk } | Write-VmSplice -Destination $devNull -TimeoutSec 60
            @{ Seconds = $clock.Elapsed.TotalSeconds }
        }
        'FileStream.Write' = {
            Measure-IntoPipe {
                $stream = [IO.FileStream]::new("/proc/$PID/fd/$($pipe.WriteEnd.Fd)", 'Open', 'Write', 'ReadWrite', 1MB)
                try { foreach ($i in 1..($Size / 1MB)) { $stream.Write($Chunk, 0, $Chunk.Length) } } finally { $stream.Dispose() }
            }
        }
    })
$pipe, $devNull | Close-SpliceDescriptor

# 2. From a FIFO (fed by cat) to four files.
$fifo = New-Fifo (Join-Path $Scratch 'feed.fifo')
$targets = 1..4 | ForEach-Object { Join-Path $Scratch "tee$_.bin" }
# The same on tmpfs, where no disk and no ext4 take part: what the tee loops themselves cost.
$tmpfsScratch = if (Test-Path /dev/shm) { Join-Path /dev/shm "splicemodule-bench-$PID" }
function Start-Feeder {
    $start = [Diagnostics.ProcessStartInfo]::new('bash')
    $start.ArgumentList.Add('-c')
    $start.ArgumentList.Add("cat '$SourceFile' > '$fifo'")
    [Diagnostics.Process]::Start($start)
}
# Checks and removes a run's copies right after it, so that the sync before the next run also
# commits the removal (ext4 mounted with discard trims the freed blocks at that commit, which
# otherwise fell inside the next timed run).
function Remove-TeeTargets([string[]] $Into) {
    foreach ($target in $Into) {
        if ((Get-Item $target).Length -ne $Size) { throw "The tee benchmark wrote $((Get-Item $target).Length) bytes to '$target', not $Size." }
    }
    Remove-Item $Into
}
# One run of a tee contender: $Tee copies $From (the FIFO, fed by cat, or a file) into $Into and
# returns its Seconds and UserSeconds.
function Measure-TeeRun([scriptblock] $Tee, [string[]] $Into = $targets, [switch] $ResetMemory, [string] $From = $fifo) {
    if ($ResetMemory) { Reset-MemoryState (6 * $Size) }
    $feeder = if ($From -eq $fifo) { Start-Feeder }
    $result = & $Tee $Into $From
    if ($feeder) { $feeder.WaitForExit() }
    Remove-TeeTargets $Into
    $result
}
$invokeTee = {
    param([string[]] $into, [string] $from)
    $cpu = Get-UserCpu
    $clock = [Diagnostics.Stopwatch]::StartNew()
    Invoke-Tee -LiteralPath $from -Destination $into -TimeoutSec 60
    @{ Seconds = $clock.Elapsed.TotalSeconds; UserSeconds = (Get-UserCpu) - $cpu }
}
$coreutilsTee = {
    param([string[]] $into, [string] $from)
    $times = & bash -c "TIMEFORMAT='%R %U'; { time tee '$($into[0])' '$($into[1])' '$($into[2])' < '$from' > '$($into[3])'; } 2>&1"
    $real, $user = ($times | Select-Object -Last 1) -split ' '
    @{ Seconds = [double]$real; UserSeconds = [double]$user }
}
$teeResults = @(
    Measure-Contenders "Tee $SizeText from a FIFO to 4 files, back to back" ([ordered]@{
            'Invoke-Tee' = { Measure-TeeRun $invokeTee }
            'coreutils tee' = { Measure-TeeRun $coreutilsTee }
        })
    Measure-Contenders "Tee $SizeText from a FIFO to 4 files, same memory state" ([ordered]@{
            'Invoke-Tee' = { Measure-TeeRun $invokeTee -ResetMemory }
            'coreutils tee' = { Measure-TeeRun $coreutilsTee -ResetMemory }
        })
    # The source file is in the page cache (just written); both tools read it once with read(2).
    Measure-Contenders "Tee $SizeText from a file to 4 files, back to back" ([ordered]@{
            'Invoke-Tee' = { Measure-TeeRun $invokeTee -From $SourceFile }
            'coreutils tee' = { Measure-TeeRun $coreutilsTee -From $SourceFile }
        })
    if ($tmpfsScratch) {
        New-Item -ItemType Directory -Path $tmpfsScratch -Force | Out-Null
        $tmpfsTargets = 1..4 | ForEach-Object { Join-Path $tmpfsScratch "tee$_.bin" }
        try {
            Measure-Contenders "Tee $SizeText from a FIFO to 4 files on tmpfs" ([ordered]@{
                    'Invoke-Tee' = { Measure-TeeRun $invokeTee $tmpfsTargets }
                    'coreutils tee' = { Measure-TeeRun $coreutilsTee $tmpfsTargets }
                })
        }
        finally { Remove-Item $tmpfsScratch -Recurse -Force }
    }
)

# 3. File to a loopback TCP socket and back; the far end is a splice loop in another runspace
# (the same far end for both contenders). On loopback the TCP stack and the far end cost the
# same for both and bound the wall time, so the CPU time of the thread that runs each
# contender is measured too: that is what zero-copy saves.
function Connect-Tcp([int] $Port) {
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    while ($true) {
        try { return [Net.Sockets.TcpClient]::new('127.0.0.1', $Port) }
        catch { if ([DateTime]::UtcNow -gt $deadline) { throw }; Start-Sleep -Milliseconds 20 }
    }
}
$receiveToNull = { param($uri, $size) $c = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 60; $n = Open-SpliceDescriptor -LiteralPath /dev/null -Access Write; try { $null = Invoke-Splice $c $n -TimeoutSec 60 } finally { $c, $n | Close-SpliceDescriptor } }
$receiveToNullWithStreams = {
    param($uri, $size)
    $listener = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, ([uri]$uri).Port)
    $listener.Start()
    try { $client = $listener.AcceptTcpClient(); try { $client.GetStream().CopyTo([IO.Stream]::Null) } finally { $client.Dispose() } } finally { $listener.Stop() }
}
$sendFile = { param($uri, $path) $c = Open-SpliceDescriptor -Uri $uri -Listen -TimeoutSec 60; $f = Open-SpliceDescriptor -LiteralPath $path; try { $null = Invoke-Splice $f $c -TimeoutSec 60 } finally { $c, $f | Close-SpliceDescriptor } }
$received = Join-Path $Scratch 'received.bin'
# Connects to a far end running $Peer and times $Transfer (which closes the socket) until the far end is done.
function Measure-OverSocket([scriptblock] $Peer, $PeerArgument, [bool] $ModuleSocket, [scriptblock] $Transfer) {
    $port = Get-FreeTcpPort
    $far = Start-Peer $Peer "tcp://127.0.0.1:$port", $PeerArgument
    $socket = if ($ModuleSocket) { Connect-Peer "tcp://127.0.0.1:$port" } else { Connect-Tcp $port }
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $cpu = Get-ThreadCpu
    & $Transfer $socket
    $cpu = (Get-ThreadCpu) - $cpu
    Wait-Peer $far -TimeoutSec 600
    @{ Seconds = $clock.Elapsed.TotalSeconds; ThreadCpu = $cpu }
}
# Checks and removes what a run received, for the reason given at Remove-TeeTargets: truncating
# the previous run's 1 GiB at the next open, inside the timed run, cost the splice receiver
# 0.4-0.6 s (median 1.05 s against 0.42 s when the file is removed after each run) and
# Stream.CopyTo about 0.3 s (1.49 s against 1.20 s).
function Remove-Received {
    if ((Get-Item $received).Length -ne $Size) { throw "Received $((Get-Item $received).Length) bytes, not $Size." }
    Remove-Item $received
}
$sendBySplice = {
    param($socket)
    $file = Open-SpliceDescriptor -LiteralPath $SourceFile
    try { $null = Invoke-Splice $file $socket -TimeoutSec 60 } finally { $file, $socket | Close-SpliceDescriptor }
}
$sendByCopyTo = {
    param($client)
    $file = [IO.File]::OpenRead($SourceFile)
    try { $file.CopyTo($client.GetStream()) } finally { $file.Dispose(); $client.Dispose() }
}
$socketResults = @(
    Measure-Contenders "$SizeText file to TCP socket" ([ordered]@{
            'Invoke-Splice' = { Measure-OverSocket $receiveToNull $Size $true $sendBySplice }
            'Stream.CopyTo' = { Measure-OverSocket $receiveToNull $Size $false $sendByCopyTo }
        })
    # The whole transfer as each user would write it: the same tool on both ends (the receiver discards).
    Measure-Contenders "$SizeText file to TCP socket, the same tool on both ends" ([ordered]@{
            'Invoke-Splice' = { Measure-OverSocket $receiveToNull $Size $true $sendBySplice }
            'Stream.CopyTo' = { Measure-OverSocket $receiveToNullWithStreams $Size $false $sendByCopyTo }
        })
    Measure-Contenders "$SizeText TCP socket to file" ([ordered]@{
            'Invoke-Splice' = {
                Measure-OverSocket $sendFile $SourceFile $true {
                    param($socket)
                    $file = Open-SpliceDescriptor -LiteralPath $received -Access Write -Create
                    try { $null = Invoke-Splice $socket $file -TimeoutSec 60 } finally { $file, $socket | Close-SpliceDescriptor }
                }
                Remove-Received
            }
            'Stream.CopyTo' = {
                Measure-OverSocket $sendFile $SourceFile $false {
                    param($client)
                    $file = [IO.File]::Create($received)
                    try { $client.GetStream().CopyTo($file) } finally { $file.Dispose(); $client.Dispose() }
                }
                Remove-Received
            }
        })
)
Remove-Item $Scratch -Recurse -Force

# Ratios: how many times faster each contender is than the alternative a user would pick (the
# last contender of each comparison), from the medians of the same run.
$all = @($pipeResults) + @($teeResults) + @($socketResults)
foreach ($group in $all | Group-Object Comparison) {
    $alternative = $group.Group[-1]
    foreach ($row in $group.Group) {
        $row | Add-Member -NotePropertyName Speedup -NotePropertyValue ([math]::Round($alternative.MedianSeconds / $row.MedianSeconds, 2))
        $row | Add-Member -NotePropertyName ThreadCpuSaving -NotePropertyValue $(if ($row.MedianThreadCpu) { [math]::Round($alternative.MedianThreadCpu / $row.MedianThreadCpu, 2) })
    }
}

$all | Format-Table Contender, MedianSeconds, BestSeconds, WorstSeconds, MedianUserCpu, Speedup, MedianThreadCpu, ThreadCpuSaving -GroupBy Comparison -AutoSize | Out-Host
New-Item -ItemType Directory -Path $ResultsPath -Force | Out-Null
$meta = [ordered]@{ Date = (Get-Date).ToUniversalTime().ToString('o'); Kernel = (Get-SpliceCapability).KernelRelease; Bytes = $Size; Rounds = $Rounds; Quick = [bool]$Quick; Cores = [Environment]::ProcessorCount }
[ordered]@{ Meta = $meta; Results = $all } | ConvertTo-Json -Depth 4 | Set-Content (Join-Path $ResultsPath 'Pipelines.json')
$lines = @(
    "# Pipelines benchmark ($(if ($Quick) { 'quick: ' })$($Size / 1MB) MiB, median of $Rounds rounds, $($meta.Date))", '',
    '| Comparison | Contender | Median s | Best s | Worst s | MiB/s | User CPU s | Speed-up over the alternative | CPU s of the transfer thread | Alternative''s thread CPU / this |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'
) + ($all | ForEach-Object { "| $($_.Comparison) | $($_.Contender) | $($_.MedianSeconds) | $($_.BestSeconds) | $($_.WorstSeconds) | $($_.MiBPerSecond) | $($_.MedianUserCpu) | $($_.Speedup)x | $($_.MedianThreadCpu) | $(if ($_.ThreadCpuSaving) { "$($_.ThreadCpuSaving)x" }) |" })
$lines | Set-Content (Join-Path $ResultsPath 'Pipelines.md')
