# Remote copies to several hosts at once (one read fanned out), their progress, and what the far
# side keeps: holes of sparse files and -Preserve's owner and group. Real hosts in network
# namespaces (Support/RemoteHosts.psm1); the copies run in a fresh pwsh with the built module.
BeforeDiscovery {
    $script:Direct = @('Encrypted', 'Plain') | ForEach-Object { @{ Transport = $_ } }
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    $script:SkipReason = Get-RemoteHostSkipReason
    $script:Hosts = @()
    if (-not $SkipReason) {
        # The third host's directory is a tiny tmpfs: a copy there runs out of space.
        $script:Hosts = @((Start-RemoteHost -Label fo), (Start-RemoteHost -Label fp), (Start-RemoteHost -Label fq -RootSize 256k))
    }

    # A file of -Size bytes with random data at two places and holes elsewhere (a trailing one too).
    function New-SparseFile([string] $Path, [long] $Size = 64MB) {
        truncate -s $Size $Path
        dd if=/dev/urandom of=$Path bs=64K count=16 seek=16 conv=notrunc status=none
        dd if=/dev/urandom of=$Path bs=64K count=8 seek=512 conv=notrunc status=none
        Get-Item -LiteralPath $Path
    }


    # Runs $Body in a fresh pwsh with the built module and $sessions, one PSSession per host given
    # (each warmed up: the module is on the host, so the copy under test is the copy only);
    # returns what $Body returns, through JSON.
    function Invoke-WithSessions([object[]] $To, [string] $Body, [int] $TimeoutSeconds = 120, [switch] $Background) {
        $script = @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
`$PSStyle.OutputRendering = 'PlainText'
`$sessions = @(foreach (`$h in (`$env:SM_HOSTS | ConvertFrom-Json)) { New-PSSession -HostName `$h.Address -UserName root -KeyFilePath `$h.KeyFile -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = `$h.KnownHosts; BatchMode = 'yes'; LogLevel = 'ERROR' } -ErrorAction Stop })
# The hosts share this file system outside their own roots: the warm-up copy goes there and is removed here.
`$warmup = "/tmp/splicemodule-fanout-warmup-`$PID"
try {
    foreach (`$s in `$sessions) { `$null = Copy-SpliceItem -LiteralPath (Join-Path `$env:SPLICEMODULE_TEST_MODULE 'SpliceModule.psd1') -Destination `$warmup -ToSession `$s -Transport Session -Force }
    'started'
$Body
}
finally { `$sessions | Remove-PSSession; Remove-Item -LiteralPath `$warmup -Force -ErrorAction Ignore }
"@
        $environment = @{
            SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE
            SM_HOSTS = ConvertTo-Json -Compress @($To | Select-Object Address, KeyFile, KnownHosts)
        }
        if ($Background) { return Invoke-FreshPwsh -Background -Script $script -Environment $environment }
        $result = @(Invoke-FreshPwsh -Json -TimeoutSeconds $TimeoutSeconds -Script $script -Environment $environment)
        $result[1..($result.Count - 1)]
    }

    # Every test starts with empty hosts (Reset-RemoteHost) and ends with its links as they were and its pwsh stopped (Complete-Test).
    function Complete-Test {
        Reset-RemoteHost $Hosts -LinksOnly
        $null = Stop-FreshPwsh $script:Fresh
        $script:Fresh = $null
    }

    # Copies that run for seconds whatever the machine: a token bucket on the link, on the copying
    # host's end for bytes to the host, on the host's own end for bytes from it (-FromHost).
    function Set-SlowLink($RemoteHost, [switch] $FromHost) {
        $bucket = @('root', 'tbf', 'rate', '24mbit', 'burst', '64kbit', 'latency', '2s')
        if ($FromHost) { ip netns exec $RemoteHost.Namespace tc qdisc replace dev $RemoteHost.Peer @bucket }
        else { tc qdisc replace dev $RemoteHost.Veth @bucket }
    }

    # TCP ports listening in a host's namespace, other than sshd's.
    function Get-ExtraListener($RemoteHost) {
        @(ip netns exec $RemoteHost.Namespace ss -Hltn | Where-Object { $_ -and $_ -notmatch ':22\s' })
    }
}

AfterAll {
    Stop-RemoteHost $Hosts
}

Describe 'Copy-SpliceItem -ToSession to several hosts: one read, a failing host fails alone' {
    BeforeEach { Reset-RemoteHost $Hosts }
    AfterEach { Complete-Test }

    It 'copies to every host with room; the host whose disk is full gets its own error and keeps nothing (<Transport>)' -TestCases $Direct {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive "fan-$Transport.bin") (3MB + 7)
        $result = Invoke-WithSessions $Hosts @"
    `$copied = @(Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions -Transport $Transport -Verify -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue)
    @{ Copied = @(`$copied | ForEach-Object PSComputerName); Sha = @(`$copied | ForEach-Object Sha256); Failed = @(`$failed | ForEach-Object { "`$(`$_.FullyQualifiedErrorId)|`$(`$_.Exception.Message)" }) }
"@
        @($result.Copied | Sort-Object) | Should -Be @($Hosts[0..1] | ForEach-Object Address | Sort-Object)
        @($result.Sha | Select-Object -Unique) | Should -Be @(Get-Sha $source.FullName)
        @($result.Failed).Count | Should -Be 1
        $result.Failed[0] | Should -BeLike "SystemCallFailed,*|On '$($Hosts[2].Address)':*"
        foreach ($h in $Hosts[0..1]) { Get-Sha (Join-Path $h.Root $source.Name) | Should -Be (Get-Sha $source.FullName) }
        Get-ChildItem -LiteralPath $Hosts[2].Root -Force | Should -BeNullOrEmpty
        foreach ($h in $Hosts) { Get-ExtraListener $h | Should -BeNullOrEmpty }
    }

    It 'reads the source once for all hosts (Encrypted: each record sealed once)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'once.bin') 16MB
        # /proc/self/io's rchar counts every byte this process read (files, pipes, sockets); the
        # data connections only write, so a read per host would show as 32 MiB or more.
        $result = Invoke-WithSessions $Hosts[0..1] @"
    function Get-ReadBytes { [long]((Get-Content /proc/self/io | Where-Object { `$_ -like 'rchar:*' }) -replace '\D') }
    `$before = Get-ReadBytes
    Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions -Force -ErrorAction Stop
    @{ Read = (Get-ReadBytes) - `$before }
"@
        foreach ($h in $Hosts[0..1]) { Get-Sha (Join-Path $h.Root $source.Name) | Should -Be (Get-Sha $source.FullName) }
        $result.Read | Should -BeGreaterOrEqual 16MB
        $result.Read | Should -BeLessThan 24MB -Because 'both hosts are sent what one read gave'
    }

    It 'goes on to the other hosts when one host''s link goes down mid-transfer (<Transport>)' -TestCases $Direct {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive "down-$Transport.bin") 24MB
        $lost = $Hosts[1]
        Set-SlowLink $lost
        $script:Fresh = Invoke-WithSessions $Hosts[0..1] -Background @"
    `$copied = @(Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions -Transport $Transport -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue)
    "COPIED=`$(`$copied.PSComputerName -join ',')"
    "FAILED=`$(@(`$failed | ForEach-Object { "`$(`$_.FullyQualifiedErrorId)|`$(`$_.Exception.Message)" }) -join ';')"
"@
        $opened = $false
        foreach ($try in 1..300) {
            if ($Fresh.Process.HasExited) { break }
            if (@(ip netns exec $lost.Namespace ss -Htn state established | Where-Object { $_ -notmatch ':22\s' }).Count -gt 0) { $opened = $true; break }
            Start-Sleep -Milliseconds 100
        }
        $opened | Should -BeTrue -Because 'the data connection to the slow host opens'
        Start-Sleep -Milliseconds 500
        ip link set $lost.Veth down
        $watch = [Diagnostics.Stopwatch]::StartNew()
        # The link stays down until the other host has its copy and the lost host's far half has
        # given up on its quiet connection (after the idle time-out): up again earlier, the
        # connection would just resume.
        $good = Join-Path $Hosts[0].Root $source.Name
        foreach ($try in 1..600) {
            if ($Fresh.Process.HasExited) { break }
            if ((Test-Path -LiteralPath $good) -and @(ip netns exec $lost.Namespace ss -Htn state established | Where-Object { $_ -notmatch ':22\s' }).Count -eq 0) { break }
            Start-Sleep -Milliseconds 100
        }
        Start-Sleep -Seconds 2
        "link down for $($watch.Elapsed)" | Write-Host
        ip link set $lost.Veth up
        $run = Stop-FreshPwsh $Fresh -WaitSeconds 60
        $script:Fresh = $null
        $run.TimedOut | Should -BeFalse
        $run.Lines | Should -Contain "COPIED=$($Hosts[0].Address)" -Because "$($run.Output) $($run.Error)"
        $failed = ($run.Lines | Where-Object { $_ -like 'FAILED=*' }) -replace '^FAILED='
        @($failed -split ";").Count | Should -Be 1 -Because $failed
        $failed | Should -Match $lost.Address
        $failed | Should -Match '^(DataConnection\w+|Timeout|BrokenPipe|RemoteScriptFailed),'
        Get-Sha (Join-Path $Hosts[0].Root $source.Name) | Should -Be (Get-Sha $source.FullName)
        # The far half on the lost host notices its connection went quiet and removes its temporary file.
        foreach ($try in 1..300) { if (@(Get-ExtraListener $lost).Count -eq 0 -and -not (Get-ChildItem -LiteralPath $lost.Root -Force)) { break }; Start-Sleep -Milliseconds 100 }
        Get-ChildItem -LiteralPath $lost.Root -Force | Should -BeNullOrEmpty
        Get-ExtraListener $lost | Should -BeNullOrEmpty
    }
}

Describe 'Progress of remote copies' {
    BeforeEach { Reset-RemoteHost $Hosts }
    AfterEach { Complete-Test }

    # The copy runs in a runspace of the fresh pwsh so that its progress records can be read back.
    BeforeAll {
        function Get-RemoteProgress([object[]] $To, [string] $Copy) {
            Invoke-WithSessions $To @"
    `$shell = [powershell]::Create()
    `$null = `$shell.AddScript('param(`$sessions) Import-Module `$env:SPLICEMODULE_TEST_MODULE; `$ProgressPreference = ''Continue''; $($Copy -replace "'", "''")').AddArgument(`$sessions)
    `$null = `$shell.Invoke()
    @{ Errors = @(`$shell.Streams.Error | ForEach-Object { "`$_" }); Records = @(`$shell.Streams.Progress | ForEach-Object { @{ Id = `$_.ActivityId; Parent = `$_.ParentActivityId; Activity = `$_.Activity; Status = `$_.StatusDescription; Operation = `$_.CurrentOperation; Percent = `$_.PercentComplete; Seconds = `$_.SecondsRemaining; Type = "`$(`$_.RecordType)" } }) }
    `$shell.Dispose()
"@
        }
    }

    It 'shows bytes, rate and time left while sending to a host, and completes' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'progress-to.bin') 8MB
        Set-SlowLink $Hosts[0]
        $result = Get-RemoteProgress $Hosts[0..0] "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions"
        $result.Errors | Should -BeNullOrEmpty
        $records = @($result.Records)
        $records.Count | Should -BeGreaterThan 1
        @($records | Where-Object Status -Match '\d+(\.\d)? (KiB|MiB) of 8\.0 MiB at \d+(\.\d)? (KiB|MiB)/s').Count | Should -BeGreaterThan 0
        @($records | Where-Object { $_.Percent -gt 0 -and $_.Seconds -ge 0 }).Count | Should -BeGreaterThan 0
        $records[0].Operation | Should -Be $source.FullName
        $records[-1].Type | Should -Be 'Completed'
    }

    It 'shows bytes, rate and time left while fetching from a host, and completes' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $remote = New-TestFile (Join-Path $Hosts[0].Root 'progress-from.bin') 8MB
        Set-SlowLink $Hosts[0] -FromHost
        $local = Join-Path $TestDrive 'fetched'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Get-RemoteProgress $Hosts[0..0] "Copy-SpliceItem -Path '$($Hosts[0].SharedRoot)/progress-from.bin' -Destination '$local' -FromSession `$sessions[0] -Transport Plain"
        $result.Errors | Should -BeNullOrEmpty
        $records = @($result.Records)
        $records.Count | Should -BeGreaterThan 1
        @($records | Where-Object Status -Match '\d+(\.\d)? (KiB|MiB) of 8\.0 MiB at \d+(\.\d)? (KiB|MiB)/s').Count | Should -BeGreaterThan 0
        @($records | Where-Object { $_.Percent -gt 0 -and $_.Seconds -ge 0 }).Count | Should -BeGreaterThan 0
        $records[-1].Type | Should -Be 'Completed'
        Get-Sha (Join-Path $local 'progress-from.bin') | Should -Be (Get-Sha $remote.FullName)
    }

    It 'shows one child record per host under the copy''s own when it goes to several, and completes them' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'progress-fan.bin') 8MB
        foreach ($h in $Hosts[0..1]) { Set-SlowLink $h }
        $result = Get-RemoteProgress $Hosts[0..1] "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions -Transport Plain"
        $result.Errors | Should -BeNullOrEmpty
        $records = @($result.Records)
        $parent = @($records | Where-Object Parent -EQ -1)
        $children = @($records | Where-Object Parent -EQ $parent[0].Id)
        @($parent | Where-Object Status -Match '(KiB|MiB) of 16\.0 MiB at .*/s').Count | Should -BeGreaterThan 0
        foreach ($h in $Hosts[0..1]) {
            $own = @($children | Where-Object Activity -Like "* to $($h.Address)")
            $own.Count | Should -BeGreaterThan 1 -Because "host $($h.Address) has its own record"
            @($own | Where-Object Status -Match 'of 8\.0 MiB at .*/s').Count | Should -BeGreaterThan 0
            @($own | Where-Object { $_.Percent -gt 0 -and $_.Seconds -ge 0 }).Count | Should -BeGreaterThan 0
            $own[-1].Type | Should -Be 'Completed'
        }
        @($children | Select-Object -ExpandProperty Id -Unique).Count | Should -Be 2
        $records[-1].Type | Should -Be 'Completed'
    }
}

Describe 'What the far side keeps' {
    BeforeEach { Reset-RemoteHost $Hosts }
    AfterEach { Complete-Test }

    It 'keeps a sparse file sparse when sending it, holes not sent (<Transport>)' -TestCases $Direct {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-SparseFile (Join-Path $TestDrive "sparse-$Transport.img")
        $result = Invoke-WithSessions $Hosts[0..0] "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions -Transport $Transport -PassThru | Select-Object Length, BytesCopied"
        $copy = Join-Path $Hosts[0].Root $source.Name
        (Get-Item -LiteralPath $copy).Length | Should -Be 64MB
        Get-Sha $copy | Should -Be (Get-Sha $source.FullName)
        Get-Allocated $copy | Should -BeLessThan 4MB -Because 'the 62.5 MiB of holes stay holes'
        $result.BytesCopied | Should -Be 1.5MB -Because 'only the data extents go over the wire'
        $result.Length | Should -Be 64MB
    }

    It 'keeps a sparse file sparse when fetching it (<Transport>)' -TestCases $Direct {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $remote = New-SparseFile (Join-Path $Hosts[0].Root "far-sparse-$Transport.img")
        $local = Join-Path $TestDrive "sparse-fetched-$Transport"
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSessions $Hosts[0..0] "(Copy-SpliceItem -Path '$($Hosts[0].SharedRoot)/$($remote.Name)' -Destination '$local' -FromSession `$sessions[0] -Transport $Transport -PassThru).BytesCopied"
        $copy = Join-Path $local $remote.Name
        (Get-Item -LiteralPath $copy).Length | Should -Be 64MB
        Get-Sha $copy | Should -Be (Get-Sha $remote.FullName)
        Get-Allocated $copy | Should -BeLessThan 4MB
        $result | Should -Be 1.5MB
    }

    It 'keeps a sparse file sparse through the session too (Session)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-SparseFile (Join-Path $TestDrive 'sparse-session.img') 16MB
        $null = Invoke-WithSessions $Hosts[0..0] "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions -Transport Session"
        $copy = Join-Path $Hosts[0].Root $source.Name
        Get-Sha $copy | Should -Be (Get-Sha $source.FullName)
        Get-Allocated $copy | Should -BeLessThan 4MB
    }

    It 'gives the copy the source''s owner and group with -Preserve, as root on the far host (<Direction>)' -TestCases @(@{ Direction = 'ToSession' }, @{ Direction = 'FromSession' }) {
        param($Direction)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $name = "owned-$Direction.bin"
        if ($Direction -eq 'ToSession') {
            $source = New-TestFile (Join-Path $TestDrive $name) 5000
            $copy = Join-Path $Hosts[0].Root $name
            $copyCommand = "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Hosts[0].SharedRoot)' -ToSession `$sessions -Preserve All -ErrorAction Stop"
        }
        else {
            $source = New-TestFile (Join-Path $Hosts[0].Root $name) 5000
            $local = Join-Path $TestDrive 'owned'
            New-Item -ItemType Directory -Path $local -Force | Out-Null
            $copy = Join-Path $local $name
            $copyCommand = "Copy-SpliceItem -Path '$($Hosts[0].SharedRoot)/$name' -Destination '$local' -FromSession `$sessions[0] -Preserve All -ErrorAction Stop"
        }
        chown 4321:8765 $source.FullName
        chmod 2751 $source.FullName
        $null = Invoke-WithSessions $Hosts[0..0] $copyCommand
        stat -c '%u %g %a' $copy | Should -Be '4321 8765 2751'
        Get-Sha $copy | Should -Be (Get-Sha $source.FullName)
    }
}
