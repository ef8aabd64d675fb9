#Requires -Version 7.4
<#
.SYNOPSIS
    One large file copied by Copy-SpliceItem (-Method Auto and Splice), cp, Copy-Item and
    [IO.File]::Copy: median times, ratio against cp, and each contender's peak memory.
.DESCRIPTION
    Every copy runs in its own child process so that its peak resident set size (VmHWM) is its
    own: cp directly, the others in a fresh pwsh that first copies a 4 KiB file (JIT, kernel
    probes) and then times only the large copy with a Stopwatch; cp is timed around the process.
    The same children copying only the 4 KiB file give each one's baseline memory, so the
    difference shows whether memory grows with the file's size.
    A warm-up copy by every contender comes first (the source is then in the page cache); each
    round runs the contenders in a rotated order, with the destination removed, `sync` run and
    three times the file's size of memory touched and freed (Reset-MemoryState, MemoryState.ps1)
    before every copy. Results: a table on screen, Copy.md and Copy.json in -ResultsPath.
.EXAMPLE
    ./bench/Copy.Bench.ps1 -ModulePath ./out/SpliceModule -ResultsPath ./bench/results -Quick
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    # 256 MiB and 3 rounds instead of 1 GiB and 7: for checking the script, not for numbers.
    [switch] $Quick,
    # Where the files go; the file system decides which methods apply (ext4: CopyFileRange).
    [string] $WorkPath = [IO.Path]::GetTempPath()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'MemoryState.ps1')

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
$size = if ($Quick) { 256MB } else { 1GB }
# 11 rounds: on this VM any contender's 1 GiB copy now and then stalls 3-5x in the kernel
# (copy_file_range calls slow from 20 ms to 160 ms mid-file, cp as much as the module), so the
# median needs enough rounds to sit among the unstalled ones; the fastest round is shown too.
$rounds = if ($Quick) { 3 } else { 11 }
$pwsh = Join-Path $PSHOME 'pwsh'
if (-not (Test-Path $pwsh)) { throw "No pwsh apphost at '$pwsh'." }
$timeTool = if (Test-Path /usr/bin/time) { '/usr/bin/time' }

$work = Join-Path $WorkPath "splicemodule-bench-$PID"
New-Item -ItemType Directory -Path $work | Out-Null

# The child that copies in a fresh pwsh: warms up on the tiny file, then times the real copy.
$childScript = Join-Path $work 'child.ps1'
Set-Content -LiteralPath $childScript -Value @'
param([string] $Contender, [string] $ModulePath, [string] $Tiny, [string] $Source, [string] $Destination)
$ErrorActionPreference = 'Stop'
function Copy-One([string] $From, [string] $To) {
    switch ($Contender) {
        'Copy-SpliceItem Auto' { Copy-SpliceItem -LiteralPath $From -Destination $To -Method Auto }
        'Copy-SpliceItem Splice' { Copy-SpliceItem -LiteralPath $From -Destination $To -Method Splice }
        'Copy-Item' { Copy-Item -LiteralPath $From -Destination $To }
        '[IO.File]::Copy' { [IO.File]::Copy($From, $To, $true) }
    }
}
if ($Contender -like 'Copy-SpliceItem*') { Import-Module $ModulePath }
Copy-One $Tiny "$Tiny.copy"
Remove-Item -LiteralPath "$Tiny.copy"
if ($Source) {
    $clock = [Diagnostics.Stopwatch]::StartNew()
    Copy-One $Source $Destination
    $clock.Stop()
    $clock.Elapsed.TotalSeconds
}
'@

# Runs one command line in a child process; returns wall seconds (the child's own Stopwatch
# when it prints one), and the child's peak RSS in bytes.
function Invoke-Contender([string] $Contender, [string] $From, [string] $To) {
    $arguments = if ($Contender -eq 'cp') { @('cp', '--', $From, $To) }
    else { @($pwsh, '-NoProfile', '-NonInteractive', '-File', $childScript, $Contender, $ModulePath, $tiny, $From, $To) }
    $rssFile = Join-Path $work 'rss.txt'
    if ($timeTool) { $arguments = @($timeTool, '-f', '%M', '-o', $rssFile) + $arguments }

    $start = [Diagnostics.ProcessStartInfo]::new($arguments[0])
    foreach ($argument in $arguments | Select-Object -Skip 1) { $start.ArgumentList.Add($argument) }
    $start.RedirectStandardOutput = $true
    $clock = [Diagnostics.Stopwatch]::StartNew()
    $process = [Diagnostics.Process]::Start($start)
    $peak = 0L
    if (-not $timeTool) {
        # Without GNU time: poll the child's high-water mark until it exits.
        while (-not $process.HasExited) {
            $status = Get-Content "/proc/$($process.Id)/status" -ErrorAction Ignore | Select-String '^VmHWM:\s+(\d+)'
            if ($status) { $peak = [Math]::Max($peak, 1KB * [long]$status.Matches[0].Groups[1].Value) }
            Start-Sleep -Milliseconds 5
        }
    }
    $output = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    $clock.Stop()
    if ($process.ExitCode -ne 0) { throw "$Contender failed with exit code $($process.ExitCode): $output" }
    if ($timeTool) { $peak = 1KB * [long](Get-Content -LiteralPath $rssFile | Select-Object -Last 1) }
    $inner = $output.Trim() -split "`n" | Where-Object { $_ -match '^\d+([.,]\d+)?(E-?\d+)?$' } | Select-Object -Last 1
    [pscustomobject]@{
        Seconds = if ($inner) { [double]::Parse($inner, [Globalization.CultureInfo]::InvariantCulture) } else { $clock.Elapsed.TotalSeconds }
        PeakBytes = $peak
    }
}

function Get-Median([double[]] $Values) {
    $sorted = $Values | Sort-Object
    $middle = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

try {
    $contenders = @('Copy-SpliceItem Auto', 'Copy-SpliceItem Splice', 'cp', 'Copy-Item', '[IO.File]::Copy')
    $source = Join-Path $work 'source.bin'
    $destination = Join-Path $work 'destination.bin'
    $tiny = Join-Path $work 'tiny.bin'
    Write-Host "Making a $($size / 1MB) MiB file of random bytes in $work ..."
    bash -c "head -c $size /dev/urandom > '$source' && head -c 4096 /dev/urandom > '$tiny'"
    if ((Get-Item $source).Length -ne $size) { throw 'Could not make the source file.' }
    $fileSystem = (findmnt -n -o FSTYPE -T $work 2>$null | Select-Object -Last 1)

    $samples = @{}
    foreach ($contender in $contenders) { $samples[$contender] = [Collections.Generic.List[object]]::new() }
    foreach ($round in 0..$rounds) {
        $order = foreach ($i in 0..($contenders.Count - 1)) { $contenders[($i + $round) % $contenders.Count] }
        foreach ($contender in $order) {
            Remove-Item -LiteralPath $destination -Force -ErrorAction Ignore
            sync
            Reset-MemoryState (Get-MemoryResetBytes $size)
            $sample = Invoke-Contender $contender $source $destination
            if ((Get-Item -LiteralPath $destination).Length -ne $size) { throw "$contender produced a wrong size." }
            if ($round -gt 0) { $samples[$contender].Add($sample) }   # round 0 is the warm-up
        }
        Write-Host ("round {0}: {1}" -f $(if ($round) { $round } else { 'warm-up' }), ($order -join ', '))
    }
    Remove-Item -LiteralPath $destination -Force -ErrorAction Ignore

    # Baselines: the same children copying only the 4 KiB file.
    $baseline = @{}
    foreach ($contender in $contenders) {
        $baseline[$contender] = if ($contender -eq 'cp') { (Invoke-Contender 'cp' $tiny "$tiny.copy").PeakBytes }
        else { (Invoke-Contender $contender '' '').PeakBytes }
        Remove-Item -LiteralPath "$tiny.copy" -Force -ErrorAction Ignore
    }

    $cpMedian = Get-Median ($samples['cp'].Seconds)
    $cpBest = ($samples['cp'].Seconds | Measure-Object -Minimum).Minimum
    $rows = foreach ($contender in $contenders) {
        $median = Get-Median ($samples[$contender].Seconds)
        $peak = Get-Median ($samples[$contender].PeakBytes)
        [pscustomobject][ordered]@{
            Contender = $contender
            MedianSeconds = [Math]::Round($median, 4)
            MiBPerSecond = [Math]::Round($size / 1MB / $median, 0)
            VsCp = [Math]::Round($median / $cpMedian, 2)
            BestSeconds = [Math]::Round(($samples[$contender].Seconds | Measure-Object -Minimum).Minimum, 4)
            BestVsCp = [Math]::Round(($samples[$contender].Seconds | Measure-Object -Minimum).Minimum / $cpBest, 2)
            PeakRssMiB = [Math]::Round($peak / 1MB, 1)
            TinyFilePeakRssMiB = [Math]::Round($baseline[$contender] / 1MB, 1)
            GrowthMiB = [Math]::Round(($peak - $baseline[$contender]) / 1MB, 1)
            Samples = @($samples[$contender].Seconds | ForEach-Object { [Math]::Round($_, 4) })
        }
    }

    $rows | Format-Table Contender, MedianSeconds, MiBPerSecond, VsCp, BestSeconds, BestVsCp, PeakRssMiB, TinyFilePeakRssMiB, GrowthMiB -AutoSize | Out-Host
    $auto = $rows | Where-Object Contender -EQ 'Copy-SpliceItem Auto'
    Write-Host ("Goal: Copy-SpliceItem Auto within 1.1x of cp: {0} ({1}x). Memory growth with the file: {2} MiB." -f $(if ($auto.VsCp -le 1.1) { 'met' } else { 'NOT met' }), $auto.VsCp, $auto.GrowthMiB)

    New-Item -ItemType Directory -Path $ResultsPath -Force | Out-Null
    $meta = [ordered]@{
        Date = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
        Quick = [bool]$Quick
        SizeBytes = $size
        Rounds = $rounds
        FileSystem = $fileSystem
        Kernel = (uname -r)
        Cpus = [Environment]::ProcessorCount
        PeakMemoryFrom = if ($timeTool) { 'GNU time %M' } else { 'polled /proc/<pid>/status VmHWM' }
    }
    [ordered]@{ Benchmark = 'Copy'; Environment = $meta; Results = @($rows) } | ConvertTo-Json -Depth 5 |
        Set-Content -LiteralPath (Join-Path $ResultsPath 'Copy.json')
    $markdown = @(
        "# Copy: one $($size / 1MB) MiB file"
        ''
        "$($meta.Date), kernel $($meta.Kernel), $($meta.Cpus) CPUs, $fileSystem, $rounds rounds after a warm-up$(if ($Quick) { ' (-Quick: not the real measurement)' })."
        'Times are medians; pwsh contenders are timed inside their own process after a 4 KiB warm-up copy, cp around its process.'
        "Before every copy the destination is removed, ``sync`` run and $((Get-MemoryResetBytes $size) / 1MB) MiB of memory touched and freed, so that no contender's page cache comes from memory the VM has handed back to its host (MemoryState.ps1)."
        'Peak RSS is the child process''s high-water mark; "tiny" is the same child copying only 4 KiB.'
        ''
        '| Contender | Median s | MiB/s | x cp | Best s | best x cp best | Peak RSS MiB | Peak RSS tiny MiB | Growth MiB |'
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|'
        foreach ($row in $rows) { "| $($row.Contender) | $($row.MedianSeconds) | $($row.MiBPerSecond) | $($row.VsCp) | $($row.BestSeconds) | $($row.BestVsCp) | $($row.PeakRssMiB) | $($row.TinyFilePeakRssMiB) | $($row.GrowthMiB) |" }
    )
    Set-Content -LiteralPath (Join-Path $ResultsPath 'Copy.md') -Value $markdown
    Write-Host "Wrote $(Join-Path $ResultsPath 'Copy.md') and Copy.json"
}
finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}
