#Requires -Version 7.4
<#
.SYNOPSIS
    Copy-SpliceItem -ToSession against Copy-Item -ToSession, scp and rsync -e ssh, to a real
    OpenSSH host in a network namespace joined by a veth pair (root only).
.DESCRIPTION
    The host is made by tests/Pester/Support/RemoteHosts.psm1 (sshd with a pwsh subsystem) and
    torn down at the end. All contenders run in this one pwsh session, module imported and the
    session warmed up (the module is already on the host) first. Each round runs the contenders
    in a rotated order, removes the previous copy, runs `sync` and touches and frees three times
    what the copy writes (Reset-MemoryState, MemoryState.ps1: the hosts' page cache is this VM's
    memory too) before every copy; the table shows medians, best and worst, and throughput.

    1. Large file: -Size (1 GiB; Quick: 64 MiB) of random bytes by Copy-SpliceItem -Transport
       Encrypted and Plain, scp and rsync -e ssh.
    2. Slow contenders: Copy-Item -ToSession and Copy-SpliceItem -Transport Session move a few
       MiB a second here, so they copy -SlowSize (128 MiB; Quick: 16 MiB) instead, and are
       compared by throughput with scp on the same file.
    3. Tree: -TreeFiles (5,000; Quick: 500) files of 4 KiB in directories of 100, by
       Copy-SpliceItem -Recurse with each transport, rsync -a -e ssh and scp -r, rotated, to a
       second host whose directory is a tmpfs; Copy-Item -ToSession -Recurse on its own, with
       -CopyItemTreeRounds (3) rounds, as it takes far longer.
    4. Fan-out (part Files): the large file to three hosts at once (-ToSession with three
       sessions, one read), Encrypted and Plain, against three scp one after another and three
       scp at once; the ratio of each to the same contender's one-host median (goal: at most 1.3).
       The hosts are namespaces of this one machine: they share its cores and its disk, so the
       three receivers compete with the sender for the CPU and wall time cannot show what three
       hosts cost the sender; every section therefore also gives the sender's CPU time (user +
       system of this pwsh and of the children it waited for, such as scp and its ssh, during
       the copy; the ssh processes of the PSSessions, which carry only control messages for
       Encrypted and Plain, are not among them), and the fan-out its ratio to one host's.
       HostsCpuSeconds adds the receiving side (every process of the hosts' namespaces), so
       CoresBusy shows how many of the machine's cores one copy keeps busy, and
       CoreBoundVsOneHost the least time three hosts could take over one host's when the CPU
       time they used is spread over every core without loss. MachineCoresBusy counts every
       core's busy time instead (/proc/stat), so also the kernel's work no process is charged
       for (network softirqs in ksoftirqd, writeback in kworkers), IoWaitCores the cores idle
       waiting on I/O, and MachineBoundVsOneHost is CoreBoundVsOneHost from that count.
       -Part FanOut runs only the one-host large file (without rsync) and this section.
    Results: Remote.md and Remote.json in -ResultsPath.
.EXAMPLE
    ./build.ps1 -Task Bench -BenchName Remote
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $ResultsPath,
    [switch] $Quick,
    [long] $Size = 1GB,
    [long] $SlowSize = 128MB,
    [int] $TreeFiles = 5000,
    [int] $CopyItemTreeRounds = 3,
    # Files (the large and slow sections and the fan-out), FanOut (the large file and the
    # fan-out only), Tree, or All; a part alone goes to Remote<Part>.md.
    [ValidateSet('All', 'Files', 'FanOut', 'Tree')] [string] $Part = 'All',
    [string] $WorkPath = [IO.Path]::GetTempPath()
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
. (Join-Path $PSScriptRoot 'MemoryState.ps1')
Import-Module (Resolve-Path -LiteralPath $ModulePath).Path -Force
Import-Module (Join-Path $PSScriptRoot '../tests/Pester/Support/RemoteHosts.psm1') -Force
if ($why = Get-RemoteHostSkipReason) { throw "The remote benchmark cannot run here: $why." }

$rounds = if ($Quick) { 3 } else { 7 }
if ($Quick) { $Size = 64MB; $SlowSize = 16MB; $TreeFiles = 500; $CopyItemTreeRounds = 1 }

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    $middle = [int][Math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

# CPU seconds (user + system) of this process and of the children it has waited for, from
# /proc/self/stat (fields 14 to 17, in clock ticks).
$script:TicksPerSecond = [double](getconf CLK_TCK)
function Get-SenderCpu {
    $stat = Get-Content -LiteralPath /proc/self/stat -Raw
    $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
    ([double]$fields[11] + [double]$fields[12] + [double]$fields[13] + [double]$fields[14]) / $TicksPerSecond
}

# CPU seconds of every process of the hosts' namespaces (sshd, its sessions, the pwsh
# subsystems): the receiving end's share of a copy. An scp's server side ends with the copy, so
# its time arrives through the sshd that reaped it (cutime, cstime).
function Get-HostsCpu([object[]] $Hosts) {
    $sum = 0.0
    foreach ($one in $Hosts) {
        foreach ($id in (Get-NamespaceProcessId $one.Namespace)) {
            $stat = Get-Content -LiteralPath "/proc/$id/stat" -Raw -ErrorAction Ignore
            if (-not $stat) { continue }
            $fields = $stat.Substring($stat.LastIndexOf(')') + 2).Split(' ')
            $sum += ([double]$fields[11] + [double]$fields[12] + [double]$fields[13] + [double]$fields[14]) / $TicksPerSecond
        }
    }
    $sum
}

# The whole machine's CPU seconds from /proc/stat, busy (user, nice, system, irq, softirq,
# steal) and waiting on I/O: what the processes above leave out, the network's softirq work in
# ksoftirqd and the page cache's writeback in kworkers, and whether a copy waits on the disk.
function Get-MachineCpu {
    $fields = (Get-Content -LiteralPath /proc/stat -TotalCount 1) -split '\s+'
    [pscustomobject]@{
        Busy = ([double]$fields[1] + [double]$fields[2] + [double]$fields[3] + [double]$fields[6] + [double]$fields[7] + [double]$fields[8]) / $TicksPerSecond
        IoWait = [double]$fields[5] / $TicksPerSecond
    }
}

# What a copy of $Source at $Target must have: a file's length, or a tree's number of files.
function Get-CopiedSize([string] $Path) {
    $item = Get-Item -LiteralPath $Path
    if ($item.PSIsContainer) { @(Get-ChildItem -LiteralPath $Path -Recurse -File -Force).Count } else { $item.Length }
}

# Each contender once per round (plus an untimed warm-up round), rotated; each of $Target is removed first.
# $Hosts: the hosts written to, whose CPU time is the receiving side's.
function Measure-Contenders([Collections.Specialized.OrderedDictionary] $Contenders, [string] $Source, [string[]] $Target, [object[]] $Hosts, [int] $Rounds = $rounds) {
    $names = @($Contenders.Keys)
    $samples = @{}
    $cpu = @{}
    $hostsCpu = @{}
    $machineBusy = @{}
    $ioWait = @{}
    $expected = Get-CopiedSize $Source
    # The hosts run on this machine: every target's copy takes this VM's memory.
    $memoryBytes = Get-MemoryResetBytes ($expected * $Target.Count)
    foreach ($name in $names) { $samples[$name] = [Collections.Generic.List[double]]::new(); $cpu[$name] = [Collections.Generic.List[double]]::new(); $hostsCpu[$name] = [Collections.Generic.List[double]]::new(); $machineBusy[$name] = [Collections.Generic.List[double]]::new(); $ioWait[$name] = [Collections.Generic.List[double]]::new() }
    foreach ($round in 0..$Rounds) {
        $order = foreach ($i in 0..($names.Count - 1)) { $names[($i + $round) % $names.Count] }
        foreach ($name in $order) {
            foreach ($one in $Target) { if (Test-Path -LiteralPath $one) { Remove-Item -LiteralPath $one -Recurse -Force } }
            sync
            Reset-MemoryState $memoryBytes
            $cpuBefore = Get-SenderCpu
            $hostsBefore = Get-HostsCpu $Hosts
            $machineBefore = Get-MachineCpu
            $clock = [Diagnostics.Stopwatch]::StartNew()
            & $Contenders[$name] $Source
            $clock.Stop()
            $machineAfter = Get-MachineCpu
            $cpuUsed = (Get-SenderCpu) - $cpuBefore
            $hostsUsed = (Get-HostsCpu $Hosts) - $hostsBefore
            foreach ($one in $Target) { if ((Get-CopiedSize $one) -ne $expected) { throw "$name did not copy all of '$Source' to '$one'." } }
            if ($round -gt 0) { $samples[$name].Add($clock.Elapsed.TotalSeconds); $cpu[$name].Add($cpuUsed); $hostsCpu[$name].Add($hostsUsed); $machineBusy[$name].Add(($machineAfter.Busy - $machineBefore.Busy) / $clock.Elapsed.TotalSeconds); $ioWait[$name].Add(($machineAfter.IoWait - $machineBefore.IoWait) / $clock.Elapsed.TotalSeconds) }
        }
        Write-Host ("  round {0}: {1}" -f $(if ($round) { $round } else { 'warm-up' }), ($order -join ', '))
    }
    $item = Get-Item -LiteralPath $Source
    $bytes = if ($item.PSIsContainer) { (Get-ChildItem -LiteralPath $Source -Recurse -File -Force | Measure-Object -Sum Length).Sum } else { $item.Length }
    foreach ($name in $names) {
        $median = Get-Median $samples[$name]
        [pscustomobject]@{
            Contender = $name; MedianSeconds = [Math]::Round($median, 3)
            Best = [Math]::Round(($samples[$name] | Measure-Object -Minimum).Minimum, 3)
            Worst = [Math]::Round(($samples[$name] | Measure-Object -Maximum).Maximum, 3)
            MiBPerSecond = [Math]::Round($bytes / 1MB / $median, 1)
            SenderCpuSeconds = [Math]::Round((Get-Median $cpu[$name]), 2)
            HostsCpuSeconds = [Math]::Round((Get-Median $hostsCpu[$name]), 2)
            # Both ends run on this machine's cores: how many of them the copy kept busy.
            CoresBusy = [Math]::Round((Get-Median @(foreach ($i in 0..($samples[$name].Count - 1)) { ($cpu[$name][$i] + $hostsCpu[$name][$i]) / $samples[$name][$i] })), 2)
            # Every core's busy time over the wall time, kernel threads included; and its I/O wait.
            MachineCoresBusy = [Math]::Round((Get-Median $machineBusy[$name]), 2)
            IoWaitCores = [Math]::Round((Get-Median $ioWait[$name]), 2)
            Samples = @($samples[$name] | ForEach-Object { [Math]::Round($_, 3) })
        }
    }
}

$work = Join-Path $WorkPath "splicemodule-remotebench-$PID"
New-Item -ItemType Directory -Path $work | Out-Null
$remoteHost = $null
$session = $null
$treeHost = $null
$treeSession = $null
$others = @()
$otherSessions = @()
$sections = [ordered]@{}
$previousProgress = $ProgressPreference
try {
    $ProgressPreference = 'SilentlyContinue'
    $remoteHost = Start-RemoteHost -Label bench
    $session = New-RemoteHostSession $remoteHost
    $ssh = Get-RemoteHostSshArgument $remoteHost
    $sshCommand = "ssh $($ssh -join ' ')"
    $to = "root@$($remoteHost.Address):$($remoteHost.Root)/"
    $root = $remoteHost.Root

    if ($Part -ne 'Tree') {
        $large = Join-Path $work 'large.bin'
        $slow = Join-Path $work 'slow.bin'
        Write-Host "Making $($Size / 1MB) MiB and $($SlowSize / 1MB) MiB files ..."
        bash -c "head -c $Size /dev/urandom > '$large'; head -c $SlowSize /dev/urandom > '$slow'"
        Copy-SpliceItem -LiteralPath $slow -Destination $root -ToSession $session -Transport Plain
        Remove-Item -LiteralPath (Join-Path $root 'slow.bin')

        $fast = [ordered]@{
            'Copy-SpliceItem -Transport Plain' = { param($s) Copy-SpliceItem -LiteralPath $s -Destination $root -ToSession $session -Transport Plain }
            'Copy-SpliceItem -Transport Encrypted' = { param($s) Copy-SpliceItem -LiteralPath $s -Destination $root -ToSession $session -Transport Encrypted }
            'scp' = { param($s) scp -q @ssh $s $to; if ($LASTEXITCODE) { throw 'scp failed' } }
            'rsync -e ssh' = { param($s) rsync -q --inplace -e $sshCommand $s $to; if ($LASTEXITCODE) { throw 'rsync failed' } }
        }
        # The fan-out compares with one host only.
        if ($Part -eq 'FanOut') { $fast.Remove('rsync -e ssh') }
        Write-Host "Large file ($($Size / 1MB) MiB):"
        $measured = @(Measure-Contenders $fast $large (Join-Path $root 'large.bin') $remoteHost)
        $scp = ($measured | Where-Object Contender -EQ 'scp').MedianSeconds
        $sections['Large'] = @{
            Title = "One $($Size / 1MB) MiB file to one host (VsScp: scp's median over this one; above 1 is faster)"
            Rows = @($measured | ForEach-Object { $_ | Add-Member -PassThru VsScp ([Math]::Round($scp / $_.MedianSeconds, 2)) })
        }

        $slowContenders = if ($Part -eq 'FanOut') { $null } else { [ordered]@{
            'Copy-Item -ToSession' = { param($s) Copy-Item -LiteralPath $s -Destination $root -ToSession $session }
            'Copy-SpliceItem -Transport Session' = { param($s) Copy-SpliceItem -LiteralPath $s -Destination $root -ToSession $session -Transport Session }
            'scp' = { param($s) scp -q @ssh $s $to; if ($LASTEXITCODE) { throw 'scp failed' } }
        } }
        if ($slowContenders) {
            Write-Host "Slow contenders ($($SlowSize / 1MB) MiB):"
            $measuredSlow = @(Measure-Contenders $slowContenders $slow (Join-Path $root 'slow.bin') $remoteHost)
            $copyItemRate = ($measuredSlow | Where-Object Contender -EQ 'Copy-Item -ToSession').MiBPerSecond
            $sections['Slow'] = @{
                Title = "One $($SlowSize / 1MB) MiB file to one host (VsCopyItem: throughput over Copy-Item -ToSession's)"
                Rows = @($measuredSlow | ForEach-Object { $_ | Add-Member -PassThru VsCopyItem ([Math]::Round($_.MiBPerSecond / $copyItemRate, 2)) })
            }
        }

        $others = @((Start-RemoteHost -Label benchb), (Start-RemoteHost -Label benchc))
        $otherSessions = @($others | ForEach-Object { New-RemoteHostSession $_ })
        $three = @($session) + $otherSessions
        $threeHosts = @($remoteHost) + $others
        Copy-SpliceItem -LiteralPath $slow -Destination $remoteHost.SharedRoot -ToSession $otherSessions -Transport Plain
        foreach ($h in $others) { Remove-Item -LiteralPath (Join-Path $h.Root 'slow.bin') }
        # Each host has its own client key and known-hosts file.
        $scpTo = @($threeHosts | ForEach-Object { , @((Get-RemoteHostSshArgument $_) + "root@$($_.Address):$($_.Root)/") })
        # One scp as a line of shell, for three at once.
        function Get-ScpLine([string] $From, [string[]] $To) { 'scp -q ' + ((@($To[0..($To.Count - 2)]) + $From + $To[-1] | ForEach-Object { "'$_'" }) -join ' ') }
        $fanOut = [ordered]@{
            'Copy-SpliceItem -Transport Plain, 3 hosts' = { param($s) Copy-SpliceItem -LiteralPath $s -Destination $remoteHost.SharedRoot -ToSession $three -Transport Plain -ErrorAction Stop }
            'Copy-SpliceItem -Transport Encrypted, 3 hosts' = { param($s) Copy-SpliceItem -LiteralPath $s -Destination $remoteHost.SharedRoot -ToSession $three -Transport Encrypted -ErrorAction Stop }
            'scp to 3 hosts, one after another' = { param($s) foreach ($to in $scpTo) { scp -q @($to[0..($to.Count - 2)]) $s $to[-1]; if ($LASTEXITCODE) { throw 'scp failed' } } }
            'scp to 3 hosts at once' = { param($s) bash -c ((@($scpTo | ForEach-Object { (Get-ScpLine $s $_) + ' &' }) + 'for p in $(jobs -p); do wait $p || exit 1; done') -join "`n"); if ($LASTEXITCODE) { throw 'scp failed' } }
        }
        Write-Host "Large file to three hosts ($($Size / 1MB) MiB):"
        $measuredFan = @(Measure-Contenders $fanOut $large @($threeHosts | ForEach-Object { Join-Path $_.Root 'large.bin' }) $threeHosts)
        $oneHostName = @{
            'Copy-SpliceItem -Transport Plain, 3 hosts' = 'Copy-SpliceItem -Transport Plain'
            'Copy-SpliceItem -Transport Encrypted, 3 hosts' = 'Copy-SpliceItem -Transport Encrypted'
            'scp to 3 hosts, one after another' = 'scp'
            'scp to 3 hosts at once' = 'scp'
        }
        $sections['FanOut'] = @{
            Title = "One $($Size / 1MB) MiB file to three hosts (VsOneHost: this median over the same contender's to one host, the goal is at most 1.3; CpuVsOneHost: the same for the sender's CPU time; HostsCpuSeconds: the receiving hosts' processes; CoresBusy: both ends' CPU time over the wall time; CoreBoundVsOneHost: both ends' CPU time spread over all $([Environment]::ProcessorCount) cores, over one host's time, the least VsOneHost these cores allow; MachineCoresBusy, IoWaitCores: every core's busy and I/O-wait time over the wall time, from /proc/stat; MachineBoundVsOneHost: CoreBoundVsOneHost from every core's busy time)"
            Rows = @($measuredFan | ForEach-Object {
                    $one = $measured | Where-Object Contender -EQ $oneHostName[$_.Contender]
                    $_ | Add-Member -PassThru VsOneHost ([Math]::Round($_.MedianSeconds / $one.MedianSeconds, 2)) |
                        Add-Member -PassThru CpuVsOneHost $(if ($one.SenderCpuSeconds -gt 0) { [Math]::Round($_.SenderCpuSeconds / $one.SenderCpuSeconds, 2) }) |
                        Add-Member -PassThru CoreBoundVsOneHost ([Math]::Round(($_.SenderCpuSeconds + $_.HostsCpuSeconds) / [Environment]::ProcessorCount / $one.MedianSeconds, 2)) |
                        Add-Member -PassThru MachineBoundVsOneHost ([Math]::Round($_.MachineCoresBusy * $_.MedianSeconds / [Environment]::ProcessorCount / $one.MedianSeconds, 2))
                })
        }
    }

    if ($Part -notin 'Files', 'FanOut') {
        # Trees go to a host of their own whose directory is a tmpfs: on this machine's ext4 making
        # 5,000 files costs several seconds whoever makes them (cp -r included), which would hide
        # what the copies themselves cost.
        $treeHost = Start-RemoteHost -Label tree -RootSize 256m
        $treeSession = New-RemoteHostSession $treeHost
        $treeSsh = Get-RemoteHostSshArgument $treeHost
        $treeSshCommand = "ssh $($treeSsh -join ' ')"
        $treeTo = "root@$($treeHost.Address):$($treeHost.Root)/"
        $treeRoot = $treeHost.Root
        $tree = Join-Path $work 'tree'
        Write-Host "Making a tree of $TreeFiles files of 4 KiB ..."
        bash -c "mkdir -p '$tree' && cd '$tree' && for d in `$(seq 1 $([Math]::Max(1, $TreeFiles / 100))); do mkdir d`$d; for f in `$(seq 1 100); do head -c 4096 /dev/urandom > d`$d/f`$f; done; done"
        # The module goes over once, before anything is timed.
        Copy-SpliceItem -LiteralPath "$tree/d1/f1" -Destination $treeRoot -ToSession $treeSession -Transport Plain
        Remove-Item -LiteralPath (Join-Path $treeRoot 'f1')
        $treeContenders = [ordered]@{
            'Copy-SpliceItem -Recurse -Transport Plain' = { param($s) Copy-SpliceItem -Recurse -LiteralPath $s -Destination $treeRoot -ToSession $treeSession -Transport Plain }
            'Copy-SpliceItem -Recurse -Transport Encrypted' = { param($s) Copy-SpliceItem -Recurse -LiteralPath $s -Destination $treeRoot -ToSession $treeSession -Transport Encrypted }
            'Copy-SpliceItem -Recurse -Transport Session' = { param($s) Copy-SpliceItem -Recurse -LiteralPath $s -Destination $treeRoot -ToSession $treeSession -Transport Session }
            'rsync -a -e ssh' = { param($s) rsync -a -e $treeSshCommand $s $treeTo; if ($LASTEXITCODE) { throw 'rsync failed' } }
            'scp -r' = { param($s) scp -q -r @treeSsh $s $treeTo; if ($LASTEXITCODE) { throw 'scp failed' } }
        }
        Write-Host "Tree ($TreeFiles files of 4 KiB):"
        $measuredTree = @(Measure-Contenders $treeContenders $tree (Join-Path $treeRoot 'tree') $treeHost)
        # Copy-Item sends file after file with a round trip each: fewer rounds, measured on its own.
        Write-Host "Tree by Copy-Item -ToSession -Recurse ($CopyItemTreeRounds rounds):"
        $measuredTree += @(Measure-Contenders ([ordered]@{ 'Copy-Item -ToSession -Recurse' = { param($s) Copy-Item -Recurse -LiteralPath $s -Destination $treeRoot -ToSession $treeSession } }) $tree (Join-Path $treeRoot 'tree') $treeHost -Rounds $CopyItemTreeRounds)
        $rsync = ($measuredTree | Where-Object Contender -EQ 'rsync -a -e ssh').MedianSeconds
        $sections['Tree'] = @{
            Title = "A tree of $TreeFiles files of 4 KiB to one host's tmpfs (VsRsync: rsync -a -e ssh's median over this one; Copy-Item: $CopyItemTreeRounds rounds, alone)"
            Rows = @($measuredTree | ForEach-Object { $_ | Add-Member -PassThru VsRsync ([Math]::Round($rsync / $_.MedianSeconds, 2)) })
        }

    }

    $goals = @()
    if ($Part -ne 'Tree') {
        $encryptedRate = ($measured | Where-Object Contender -EQ 'Copy-SpliceItem -Transport Encrypted').MiBPerSecond
        $plainRate = ($measured | Where-Object Contender -EQ 'Copy-SpliceItem -Transport Plain').MiBPerSecond
        $goals += @(
            [pscustomobject]@{ Goal = 'Encrypted >= 3x scp'; Ratio = [Math]::Round($scp / ($measured | Where-Object Contender -EQ 'Copy-SpliceItem -Transport Encrypted').MedianSeconds, 2) }
            if ($slowContenders) { [pscustomobject]@{ Goal = 'Encrypted >= 50x Copy-Item -ToSession'; Ratio = [Math]::Round($encryptedRate / $copyItemRate, 1) } }
            [pscustomobject]@{ Goal = 'Plain >= 8x scp'; Ratio = [Math]::Round($scp / ($measured | Where-Object Contender -EQ 'Copy-SpliceItem -Transport Plain').MedianSeconds, 2) }
            if ($slowContenders) { [pscustomobject]@{ Goal = 'Plain over Copy-Item -ToSession'; Ratio = [Math]::Round($plainRate / $copyItemRate, 1) } }
            foreach ($transport in 'Encrypted', 'Plain') {
                $row = $sections['FanOut'].Rows | Where-Object Contender -EQ "Copy-SpliceItem -Transport $transport, 3 hosts"
                [pscustomobject]@{ Goal = "$transport, 3 hosts <= 1.3x one host (time)"; Ratio = $row.VsOneHost }
                [pscustomobject]@{ Goal = "$transport, 3 hosts <= 1.3x one host (sender's CPU)"; Ratio = $row.CpuVsOneHost }
                [pscustomobject]@{ Goal = "$transport, 3 hosts: the least time over one host's that the CPU it used allows on these cores"; Ratio = $row.CoreBoundVsOneHost }
            }
        )
    }
    if ($Part -notin 'Files', 'FanOut') {
        $goals += @(
            [pscustomobject]@{ Goal = 'Tree (Plain) >= 3x rsync -e ssh'; Ratio = [Math]::Round($rsync / ($measuredTree | Where-Object Contender -EQ 'Copy-SpliceItem -Recurse -Transport Plain').MedianSeconds, 2) }
            [pscustomobject]@{ Goal = 'Tree (Encrypted) >= 3x rsync -e ssh'; Ratio = [Math]::Round($rsync / ($measuredTree | Where-Object Contender -EQ 'Copy-SpliceItem -Recurse -Transport Encrypted').MedianSeconds, 2) }
        )
    }
    $sections['Goals'] = @{ Title = "Against the goals of the issue (ratios of medians$(if ($Part -in 'All', 'Files') { '; Copy-Item measured on the smaller file, by throughput' }))"; Rows = $goals }
}
finally {
    $ProgressPreference = $previousProgress
    if ($session) { Remove-PSSession $session }
    if ($treeSession) { Remove-PSSession $treeSession }
    $otherSessions | Remove-PSSession
    Stop-RemoteHost $remoteHost
    Stop-RemoteHost $treeHost
    Stop-RemoteHost $others
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction Ignore
}

$meta = [ordered]@{
    Date = (Get-Date).ToUniversalTime().ToString('u')
    Quick = [bool]$Quick
    Rounds = $rounds
    Load = (Get-Content -LiteralPath /proc/loadavg -ErrorAction Ignore)
    Kernel = (uname -r)
    Cores = [Environment]::ProcessorCount
    Ssh = ((ssh -V 2>&1) | Out-String).Trim()
}
New-Item -ItemType Directory -Path $ResultsPath -Force | Out-Null
$markdown = [Text.StringBuilder]::new()
$null = $markdown.AppendLine('# Remote benchmark').AppendLine()
$null = $markdown.AppendLine("$($meta.Date), a host in a network namespace over a veth pair, $($meta.Ssh), kernel $($meta.Kernel), $($meta.Cores) cores, load $($meta.Load), medians of $rounds rounds$(if ($Quick) { ' (-Quick: small sizes, not for numbers)' }); before every copy the previous one is removed, ``sync`` run and three times what the copy writes (at least 256 MiB) of memory touched and freed (MemoryState.ps1)").AppendLine()
foreach ($key in $sections.Keys) {
    $section = $sections[$key]
    Write-Host "`n$($section.Title)"
    $section.Rows | Select-Object * -ExcludeProperty Samples | Format-Table -AutoSize | Out-String | Write-Host
    $null = $markdown.AppendLine("## $($section.Title)").AppendLine()
    $columns = @($section.Rows[0].PSObject.Properties.Name | Where-Object { $_ -ne 'Samples' })
    $null = $markdown.AppendLine('| ' + ($columns -join ' | ') + ' |').AppendLine('|' + (($columns | ForEach-Object { '---' }) -join '|') + '|')
    foreach ($row in $section.Rows) { $null = $markdown.AppendLine('| ' + (($columns | ForEach-Object { $row.$_ }) -join ' | ') + ' |') }
    $null = $markdown.AppendLine()
}
$name = if ($Part -eq 'All') { 'Remote' } else { "Remote$Part" }
Set-Content -LiteralPath (Join-Path $ResultsPath "$name.md") -Value $markdown.ToString()
[ordered]@{ Meta = $meta; Sections = $sections } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath (Join-Path $ResultsPath "$name.json")
Write-Host "Results in $(Join-Path $ResultsPath "$name.md")"
