<#
.SYNOPSIS
    What sets SpliceModule apart, shown side by side in one run of well under a minute:
    cp, Copy-Item and Copy-SpliceItem on one big file, a sparse disk image and a tree of small
    files (times as ratios, allocated sizes), progress inside one big file, a fan-out to three
    files with Invoke-Tee, and (as root, with sshd) a copy to an SSH host against scp and
    Copy-Item -ToSession. build.ps1 -Task Demo builds the module and runs this.
.DESCRIPTION
    Every figure is this machine's, from this run: few rounds, on whatever else the machine is
    doing, so read the ratios, not the seconds (bench/ measures properly). cp and tee are timed
    as the processes a user starts; Copy-Item and the module's cmdlets in this session.
#>
param([Parameter(Mandatory)] [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
Import-Module $ModulePath -Force

$work = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-demo-$PID"
New-Item -ItemType Directory -Path $work | Out-Null

function Write-Section([string] $Title) { Write-Host "`n== $Title" }

# Bytes the file system really holds for a file or a tree (du), not its apparent size.
function Get-Allocated([string] $Path) { [long]((du -sB1 -- $Path) -split '\s+')[0] }

# Runs each contender once per round, in a different order every round, after a sync, and
# returns the median seconds of each; $Prepare clears the destination before every run.
function Measure-Side {
    param([System.Collections.Specialized.OrderedDictionary] $Contenders, [int] $Rounds = 1, [scriptblock] $Prepare = {})
    $names = @($Contenders.Keys)
    $times = @{}
    foreach ($name in $names) { $times[$name] = [Collections.Generic.List[double]]::new() }
    for ($round = 0; $round -lt $Rounds; $round++) {
        foreach ($i in 0..($names.Count - 1)) {
            $name = $names[($i + $round) % $names.Count]
            & $Prepare
            sync
            $clock = [Diagnostics.Stopwatch]::StartNew()
            & $Contenders[$name]
            $times[$name].Add($clock.Elapsed.TotalSeconds)
        }
    }
    foreach ($name in $names) {
        $sorted = @($times[$name] | Sort-Object)
        [pscustomobject]@{ Tool = $name; Seconds = $sorted[[int][math]::Floor(($sorted.Count - 1) / 2)] }
    }
}

# A table of the runs: time, how many times faster than Copy-Item (or the first row), and
# what the copy occupies on disk when $Allocated names it.
function Show-Side {
    param([object[]] $Runs, [hashtable] $Allocated = @{})
    $base = ($Runs | Where-Object Tool -eq 'Copy-Item' | Select-Object -First 1)
    if (-not $base) { $base = $Runs[0] }
    $Runs | ForEach-Object {
        $row = [ordered]@{
            Tool    = $_.Tool
            Time    = [SpliceModule.DisplayUnits]::Duration([timespan]::FromSeconds($_.Seconds))
            "vs $($base.Tool)" = '{0:0.0}x' -f ($base.Seconds / [math]::Max($_.Seconds, 1e-6))
        }
        if ($Allocated.Count) { $row['On disk'] = [SpliceModule.DisplayUnits]::Bytes($Allocated[$_.Tool]) }
        [pscustomobject]$row
    } | Format-Table -AutoSize | Out-String -Width 80 | ForEach-Object TrimEnd | Write-Host
}

try {
    $cap = Get-SpliceCapability -Path $work
    # Every line within 80 columns, as the tables are.
    Write-Host "SpliceModule demo on this machine: Linux $($cap.KernelRelease), $([Environment]::ProcessorCount) cores;"
    Write-Host "working in $work ($($cap.FileSystem))."
    Write-Host "Figures are this run's, as ratios; Nx = N times as fast."

    # --- One big file -----------------------------------------------------------------------
    $big = Join-Path $work 'big.bin'
    bash -c "head -c 256M /dev/urandom > '$big'"
    Write-Section 'One 256 MiB file (median of 3 rounds)'
    $copy = Join-Path $work 'big.copy'
    $runs = Measure-Side -Rounds 3 -Prepare { Remove-Item $copy -ErrorAction Ignore } -Contenders ([ordered]@{
            'cp'              = { cp $big $copy }
            'Copy-Item'       = { Copy-Item -LiteralPath $big -Destination $copy }
            'Copy-SpliceItem' = { Copy-SpliceItem -LiteralPath $big -Destination $copy }
        })
    Show-Side $runs
    $method = (Copy-SpliceItem -LiteralPath $big -Destination $copy -PassThru).CopyMethod
    Write-Host "All three let the kernel copy ($method here); what follows shows the gain."

    # --- A sparse disk image ----------------------------------------------------------------
    Write-Section 'A 512 MiB sparse disk image holding 8 MiB of data'
    $image = Join-Path $work 'disk.img'
    bash -c "truncate -s 512M '$image'; for i in 0 1 2 3 4 5 6 7; do dd if=/dev/urandom of='$image' bs=1M count=1 seek=`$((i * 64)) conv=notrunc status=none; done"
    $targets = [ordered]@{ 'cp' = "$work/img.cp"; 'Copy-Item' = "$work/img.copyitem"; 'Copy-SpliceItem' = "$work/img.splice" }
    $runs = Measure-Side -Contenders ([ordered]@{
            'cp'              = { cp $image $targets['cp'] }
            'Copy-Item'       = { Copy-Item -LiteralPath $image -Destination $targets['Copy-Item'] }
            'Copy-SpliceItem' = { Copy-SpliceItem -LiteralPath $image -Destination $targets['Copy-SpliceItem'] }
        })
    $allocated = @{}
    foreach ($name in $targets.Keys) { $allocated[$name] = Get-Allocated $targets[$name] }
    Show-Side $runs $allocated
    Write-Host "The source occupies $([SpliceModule.DisplayUnits]::Bytes((Get-Allocated $image))): holes stay holes with cp and Copy-SpliceItem."
    Remove-Item $targets.Values

    # --- A tree of small files --------------------------------------------------------------
    Write-Section 'A tree of 1,000 files of 4 KiB in 10 folders'
    $tree = Join-Path $work 'tree'
    $block = [byte[]]::new(4096)
    foreach ($d in 1..10) {
        $folder = New-Item -ItemType Directory -Path (Join-Path $tree "folder$d")
        foreach ($f in 1..100) { [Random]::Shared.NextBytes($block); [IO.File]::WriteAllBytes((Join-Path $folder "file$f.dat"), $block) }
    }
    $targets = [ordered]@{ 'cp' = "$work/tree.cp"; 'Copy-Item' = "$work/tree.copyitem"; 'Copy-SpliceItem' = "$work/tree.splice" }
    $runs = Measure-Side -Contenders ([ordered]@{
            'cp'              = { cp -r --preserve=mode,timestamps $tree $targets['cp'] }
            'Copy-Item'       = { Copy-Item -LiteralPath $tree -Destination $targets['Copy-Item'] -Recurse }
            'Copy-SpliceItem' = { Copy-SpliceItem -LiteralPath $tree -Destination $targets['Copy-SpliceItem'] -Recurse }
        })
    $allocated = @{}
    foreach ($name in $targets.Keys) { $allocated[$name] = Get-Allocated $targets[$name] }
    Show-Side $runs $allocated
    Write-Host 'Copy-SpliceItem keeps modes and times, as this cp does; one worker per core.'

    # --- Progress inside one big file -------------------------------------------------------
    Write-Section 'Progress inside one big file (into a FIFO read slowly)'
    $fifo = Join-Path $work 'slow.fifo'
    mkfifo $fifo
    $start = [Diagnostics.ProcessStartInfo]::new('bash')
    $start.ArgumentList.Add('-c')
    $start.ArgumentList.Add("exec < '$fifo'; for i in `$(seq 60); do dd bs=4M count=1 iflag=fullblock status=none > /dev/null; sleep 0.03; done; cat > /dev/null")
    $reader = [Diagnostics.Process]::Start($start)
    $shell = [powershell]::Create([initialsessionstate]::CreateDefault2())
    try {
        $null = $shell.AddScript("Import-Module '$ModulePath'; `$ProgressPreference = 'Continue'; Copy-SpliceItem -LiteralPath '$big' -Destination '$fifo'")
        $async = $shell.BeginInvoke()
        if (-not $async.AsyncWaitHandle.WaitOne(30000)) { $shell.Stop() }
        $records = @($shell.Streams.Progress | Where-Object RecordType -ne 'Completed')
    }
    finally {
        $shell.Dispose()
        if (-not $reader.WaitForExit(10000)) { $reader.Kill() }
        $reader.Dispose()
    }
    $shown = if ($records.Count -gt 4) { 0, [int]($records.Count / 3), [int](2 * $records.Count / 3), ($records.Count - 1) | ForEach-Object { $records[$_] } } else { $records }
    $shown | ForEach-Object { Write-Host ("  {0,3}%  {1}, {2} s left" -f $_.PercentComplete, $_.StatusDescription, $_.SecondsRemaining) }
    Write-Host "$($records.Count) updates from Copy-SpliceItem; Copy-Item shows no progress inside a file."

    # --- Fan-out ----------------------------------------------------------------------------
    Write-Section 'A 256 MiB stream (a FIFO) to three files at once'
    $fan = 1..3 | ForEach-Object { Join-Path $work "fan$_.bin" }
    $stream = Join-Path $work 'stream.fifo'
    mkfifo $stream
    # The stream's writer, started for each run; it waits in open(2) until the reader comes.
    function Start-Stream {
        $start = [Diagnostics.ProcessStartInfo]::new('bash')
        $start.ArgumentList.Add('-c')
        $start.ArgumentList.Add("cat '$big' > '$stream'")
        [Diagnostics.Process]::Start($start)
    }
    function Wait-Stream($writer) { if (-not $writer.WaitForExit(20000)) { $writer.Kill() }; $writer.Dispose() }
    $runs = Measure-Side -Prepare { Remove-Item $fan -ErrorAction Ignore } -Contenders ([ordered]@{
            'tee'        = { $w = Start-Stream; bash -c "tee '$($fan[0])' '$($fan[1])' '$($fan[2])' < '$stream' > /dev/null"; Wait-Stream $w }
            'Invoke-Tee' = { $w = Start-Stream; Invoke-Tee -LiteralPath $stream -Destination $fan; Wait-Stream $w }
        })
    Show-Side $runs
    $same = @($fan | ForEach-Object { (Get-FileHash $_).Hash } | Select-Object -Unique).Count -eq 1 -and (Get-FileHash $fan[0]).Hash -eq (Get-FileHash $big).Hash
    Write-Host 'Invoke-Tee reads the stream once and tee(2)s its pages to every file (Copy-Item'
    Write-Host "cannot read a stream twice). All three files identical to the source: $same"
    if (-not $same) { exit 1 }

    # --- Remote copy ----------------------------------------------------------------------
    # The test suite's SSH hosts (sshd in a network namespace behind a veth pair), when root may make one.
    Write-Section 'A 64 MiB file to another machine (an SSH host in a network namespace here)'
    Import-Module (Join-Path $PSScriptRoot '../tests/Pester/Support/RemoteHosts.psm1') -Force
    $why = Get-RemoteHostSkipReason
    if ($why) {
        Write-Host "Skipped: $why."
    }
    else {
        $remoteHost = $null
        $session = $null
        try {
            $remoteHost = Start-RemoteHost -Label demo
            $session = New-RemoteHostSession $remoteHost
            $payload = Join-Path $work 'payload.bin'
            bash -c "head -c 64M '$big' > '$payload'"
            $landing = Join-Path $remoteHost.Root 'payload.bin'
            # The first copy brings the module over the session (once per version); it is not timed.
            Copy-SpliceItem -LiteralPath $payload -Destination $landing -ToSession $session
            $ssh = Get-RemoteHostSshArgument $remoteHost
            $runs = Measure-Side -Prepare { Remove-Item $landing -ErrorAction Ignore } -Contenders ([ordered]@{
                    'scp'                       = { scp -q @ssh $payload "root@$($remoteHost.Address):$landing" }
                    'Copy-Item -ToSession'      = { Copy-Item -LiteralPath $payload -Destination $landing -ToSession $session }
                    'Copy-SpliceItem -ToSession' = { Copy-SpliceItem -LiteralPath $payload -Destination $landing -ToSession $session }
                })
            Show-Side $runs
            Write-Host 'Copy-SpliceItem uses the session only to agree on fresh keys, then sends AES-GCM'
            Write-Host 'records on a direct connection; Copy-Item sends base64 pieces over the session.'
        }
        finally {
            if ($session) { Remove-PSSession $session }
            Stop-RemoteHost $remoteHost
        }
    }
}
finally {
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}
