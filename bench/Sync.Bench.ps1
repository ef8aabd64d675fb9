#Requires -Version 7.4
<#
.SYNOPSIS
    Re-runs: Copy-SpliceItem -Update and -Mirror against rsync -a and rsync -a --delete on a tree
    that is already copied, with nothing changed and with 1% of the files changed.
.DESCRIPTION
    A tree of 100,000 files of 1 KiB in 1,000 directories (Quick: 5,000 in 100) is made on each of
    -TreePath (tmpfs and the work path by default) and copied once by every contender into its own
    destination (untimed). Then, warm cache, each round runs every contender once in a rotated
    order, `sync` before each run:
    1. No change: what a nightly job meets most nights; only metadata is read.
    2. 1% changed: before each round, 1% of the files (others each round) get new content of the
       same size and a new time; every contender copies those into its own copy.
    Contenders: `Copy-SpliceItem src into -Recurse -Update` (into/src, as `rsync -a src into/`),
    `Copy-SpliceItem src mirror -Mirror` (as `rsync -a --delete src/ mirror/`), and the two
    rsync commands. Copy-SpliceItem runs in this pwsh (module imported and warmed up: the
    warm-up round is not timed), rsync as the process a script would start; each timed from the
    caller. Medians of 7 rounds (Quick: 3), best and worst too. Goal: at least 2x faster than
    rsync. Results: Sync.md and Sync.json in -ResultsPath.
.EXAMPLE
    ./bench/Sync.Bench.ps1 -ModulePath ./out/SpliceModule -ResultsPath ./bench/results -Quick
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    # Small sizes and 3 rounds: for checking the script, not for numbers.
    [switch] $Quick,
    [string] $WorkPath = [IO.Path]::GetTempPath(),
    # Where the trees go, one table each (those that do not exist are skipped).
    [string[]] $TreePath = @('/dev/shm', $WorkPath)
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module (Resolve-Path -LiteralPath $ModulePath).Path -Force
if (-not (Get-Command rsync -ErrorAction Ignore)) { throw 'rsync is needed to compare with (apt-get install rsync).' }

$rounds = if ($Quick) { 3 } else { 7 }
$dirs, $filesPerDir = if ($Quick) { 100, 50 } else { 1000, 100 }
$fileCount = $dirs * $filesPerDir
$changedPerRound = [Math]::Max(1, [int]($fileCount / 100))

# Each contender re-runs over its own copy; $Into is the work directory holding them all.
$contenders = [ordered]@{
    'Copy-SpliceItem -Update' = { param($tree, $into) Copy-SpliceItem -LiteralPath $tree -Destination "$into/update" -Recurse -Update }
    'rsync -a' = { param($tree, $into) rsync -a -- $tree "$into/rsync/"; if ($LASTEXITCODE) { throw "rsync -a failed: $LASTEXITCODE" } }
    'Copy-SpliceItem -Mirror' = { param($tree, $into) Copy-SpliceItem -LiteralPath $tree -Destination "$into/mirror" -Mirror }
    'rsync -a --delete' = { param($tree, $into) rsync -a --delete -- "$tree/" "$into/rsync-delete/"; if ($LASTEXITCODE) { throw "rsync -a --delete failed: $LASTEXITCODE" } }
}
$pairs = [ordered]@{ 'Copy-SpliceItem -Update' = 'rsync -a'; 'Copy-SpliceItem -Mirror' = 'rsync -a --delete' }

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $middle = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# 1 KiB files in $dirs directories, written by one process (pwsh would take minutes).
function New-SmallTree([string] $Root) {
    python3 -c @"
import os, sys
root, dirs, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(dirs):
    path = os.path.join(root, 'd%04d' % d)
    os.makedirs(path)
    for f in range(files):
        with open(os.path.join(path, 'f%03d' % f), 'wb') as out:
            out.write(os.urandom(1024))
"@ $Root $dirs $filesPerDir
    if ($LASTEXITCODE) { throw "Could not make the tree in $Root" }
}

# New content of the same size (and so a new time) for $changedPerRound files, others each round.
function Update-SomeFiles([string] $Root, [int] $Round) {
    python3 -c @"
import os, sys
root, dirs, files, count, round_ = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
total = dirs * files
for i in range(count):
    n = (round_ * count + i) * 7919 % total
    with open(os.path.join(root, 'd%04d' % (n // files), 'f%03d' % (n % files)), 'wb') as out:
        out.write(os.urandom(1024))
"@ $Root $dirs $filesPerDir $changedPerRound $Round
    if ($LASTEXITCODE) { throw "Could not change files in $Root" }
}

function Measure-Reruns([string] $Tree, [string] $Into, [string] $Scenario) {
    $names = @($contenders.Keys)
    $samples = @{}
    foreach ($name in $names) { $samples[$name] = [Collections.Generic.List[double]]::new() }
    foreach ($round in 0..$rounds) {
        if ($Scenario -eq 'changed') { Update-SomeFiles $Tree $round }
        $order = foreach ($i in 0..($names.Count - 1)) { $names[($i + $round) % $names.Count] }
        foreach ($name in $order) {
            sync
            $clock = [Diagnostics.Stopwatch]::StartNew()
            & $contenders[$name] $Tree $Into
            $clock.Stop()
            if ($round -gt 0) { $samples[$name].Add($clock.Elapsed.TotalSeconds) }
        }
        Write-Host ("  {0} round {1}: {2}" -f $Scenario, $(if ($round) { $round } else { 'warm-up' }), ($order -join ', '))
    }
    foreach ($name in $names) {
        $values = @($samples[$name])
        [pscustomobject]@{
            Contender = $name
            MedianSeconds = [Math]::Round((Get-Median $values), 4)
            BestSeconds = [Math]::Round(($values | Measure-Object -Minimum).Minimum, 4)
            WorstSeconds = [Math]::Round(($values | Measure-Object -Maximum).Maximum, 4)
            Samples = @($values | ForEach-Object { [Math]::Round($_, 4) })
        }
    }
}

# The check that each copy is the tree (content by hash, names, sizes), so that a fast contender is a right one.
function Assert-Copies([string] $Tree, [string] $Into) {
    $expected = (bash -c "cd '$Tree' && find . -type f -printf '%P %s %T@\n' | sort | sha256sum")
    foreach ($copy in "$Into/update/$(Split-Path -Leaf $Tree)", "$Into/rsync/$(Split-Path -Leaf $Tree)", "$Into/mirror", "$Into/rsync-delete") {
        $actual = (bash -c "cd '$copy' && find . -type f -printf '%P %s %T@\n' | sort | sha256sum")
        if ($actual -ne $expected) { throw "The copy $copy is not the tree $Tree" }
    }
}

$sections = [ordered]@{}
$fileSystems = [ordered]@{}
$previousProgress = $ProgressPreference
try {
    $ProgressPreference = 'SilentlyContinue'
    foreach ($root in @($TreePath | Where-Object { $_ -and (Test-Path -LiteralPath $_ -PathType Container) } | Select-Object -Unique)) {
        $work = Join-Path $root "splicemodule-syncbench-$PID"
        # update/ and rsync/ exist, so that both nest the tree (into/update/tree), every run alike.
        $null = New-Item -ItemType Directory -Path "$work/into/update", "$work/into/rsync" -Force
        try {
            $fs = (findmnt -n -o FSTYPE -T $work 2>$null | Select-Object -Last 1)
            $fileSystems[$root] = $fs
            $tree = Join-Path $work 'tree'
            Write-Host "Making $fileCount files of 1 KiB in $dirs directories in $tree ($fs) ..."
            New-SmallTree $tree
            Write-Host 'First copies (not timed) ...'
            foreach ($name in $contenders.Keys) { & $contenders[$name] $tree "$work/into" }
            Assert-Copies $tree "$work/into"
            foreach ($scenario in 'unchanged', 'changed') {
                $rows = @(Measure-Reruns $tree "$work/into" $scenario)
                Assert-Copies $tree "$work/into"
                $ratios = [ordered]@{}
                foreach ($ours in $pairs.Keys) {
                    $theirs = $pairs[$ours]
                    $ratios[$ours] = [Math]::Round(($rows | Where-Object Contender -EQ $theirs).MedianSeconds / ($rows | Where-Object Contender -EQ $ours).MedianSeconds, 2)
                }
                $what = if ($scenario -eq 'unchanged') { 'nothing changed' } else { "$changedPerRound files (1%) changed before each round" }
                $sections["$root $scenario"] = [ordered]@{
                    Title = "Re-run over $fileCount files of 1 KiB in $dirs directories on $root ($fs), $what"
                    Rows = $rows
                    SpeedUp = $ratios
                }
            }
        }
        finally {
            rm -rf -- $work   # Remove-Item takes minutes over 500,000 files
        }
    }
}
finally {
    $ProgressPreference = $previousProgress
}

$meta = [ordered]@{
    Date = (Get-Date).ToUniversalTime().ToString('u')
    Quick = [bool]$Quick
    Rounds = $rounds
    Files = $fileCount
    FileSystems = $fileSystems
    Load = (Get-Content -LiteralPath /proc/loadavg -ErrorAction Ignore)
    Kernel = (uname -r)
    Cores = [Environment]::ProcessorCount
    Rsync = (rsync --version | Select-Object -First 1)
}
New-Item -ItemType Directory -Path $ResultsPath -Force | Out-Null
$markdown = [Text.StringBuilder]::new()
$null = $markdown.AppendLine('# Sync benchmark: re-runs of -Update and -Mirror against rsync').AppendLine()
$null = $markdown.AppendLine("$($meta.Date), kernel $($meta.Kernel), $($meta.Cores) cores, load at the end $($meta.Load), $($meta.Rsync), warm cache, medians of $rounds rounds$(if ($Quick) { ' (-Quick: small sizes, not for numbers)' })").AppendLine()
foreach ($key in $sections.Keys) {
    $section = $sections[$key]
    Write-Host "`n$($section.Title)"
    $section.Rows | Select-Object * -ExcludeProperty Samples | Format-Table -AutoSize | Out-String | Write-Host
    $null = $markdown.AppendLine("## $($section.Title)").AppendLine()
    $null = $markdown.AppendLine('| Contender | Median s | Best s | Worst s |').AppendLine('|---|---|---|---|')
    foreach ($row in $section.Rows) { $null = $markdown.AppendLine("| $($row.Contender) | $($row.MedianSeconds) | $($row.BestSeconds) | $($row.WorstSeconds) |") }
    $verdict = (@($section.SpeedUp.Keys | ForEach-Object { "$_ is $($section.SpeedUp[$_])x as fast as $($pairs[$_])" }) -join '; ') + ' (goal: 2x).'
    $null = $markdown.AppendLine().AppendLine($verdict).AppendLine()
    Write-Host $verdict
}
Set-Content -LiteralPath (Join-Path $ResultsPath 'Sync.md') -Value $markdown.ToString()
[ordered]@{ Meta = $meta; Sections = $sections } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $ResultsPath 'Sync.json')
Write-Host "Results in $(Join-Path $ResultsPath 'Sync.md')"
