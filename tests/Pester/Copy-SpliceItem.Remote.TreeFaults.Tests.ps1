# Copy-SpliceItem -Recurse -ToSession / -FromSession when one file fails midway while the tree is
# on its way: the receiving side runs out of space for it (a tiny tmpfs), or the sending side's
# read of it fails after its header went (a sysfs attribute that answers EINVAL, bind-mounted
# into the tree), or it vanishes after the walk. That file is an error of its own, with the id
# and category a local tree copy gives for the same failure; every other file arrives whole, and
# nothing half-written stays. Real hosts in network namespaces (Support/RemoteHosts.psm1), both
# ways, every transport (a vanished file: Plain).
BeforeDiscovery {
    $script:Transports = @('Plain', 'Encrypted', 'Session') | ForEach-Object { @{ Transport = $_ } }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    $script:SkipReason = Get-RemoteHostSkipReason
    # A regular file of 4096 bytes by stat whose read fails (EINVAL): lo has no link speed.
    $script:FailingRead = '/sys/class/net/lo/speed'
    if (-not $SkipReason -and (Get-Content -LiteralPath $FailingRead -ErrorAction SilentlyContinue)) { $script:SkipReason = "$FailingRead reads here, so it cannot stand for a failing read" }
    $script:Remote = $null
    $script:Tiny = $null
    if (-not $SkipReason) {
        $script:Remote = Start-RemoteHost -Label flt
        # Room for the small files, not for the large one.
        $script:Tiny = Start-RemoteHost -Label fltt -RootSize 1m
    }
    $script:Id = ',SpliceModule.Commands.CopySpliceItemCommand'

    # Runs $Body in a fresh pwsh with the built module and $session to $OnHost; returns what $Body
    # returns (through JSON).
    function Invoke-Tree($OnHost, [string] $Body) {
        $run = New-RemoteSessionRun $OnHost $Body
        Invoke-FreshPwsh -Json -TimeoutSeconds 120 @run
    }

    # The copy's errors as 'FullyQualifiedErrorId|TargetObject|Category'.
    $script:Failures = '@($failed | ForEach-Object { "$($_.FullyQualifiedErrorId)|$($_.TargetObject)|$($_.CategoryInfo.Category)" })'

    # Small files in two directories around one of 3 MiB (past the buffered path: Plain splices
    # it) in a directory between them, so that files come before and after it in the stream.
    function New-FaultTree([string] $Root) {
        New-Item -ItemType Directory -Path "$Root/a", "$Root/big", "$Root/z" | Out-Null
        foreach ($i in 1..6) {
            foreach ($dir in 'a', 'z') {
                $bytes = [byte[]]::new(4096 + $i)
                [Random]::new($i + $dir.Length).NextBytes($bytes)
                [IO.File]::WriteAllBytes("$Root/$dir/f$i.bin", $bytes)
            }
        }
        $big = [byte[]]::new(3MB)
        [Random]::new(3).NextBytes($big)
        [IO.File]::WriteAllBytes("$Root/big/huge.bin", $big)
    }

    # Each file below $Root with its SHA-256 (what must arrive whole).
    function Get-FileFact([string] $Root, [string[]] $Except = @()) {
        @(Get-ChildItem -LiteralPath $Root -Recurse -File -Force | ForEach-Object {
                $relative = [IO.Path]::GetRelativePath($Root, $_.FullName)
                if ($relative -notin $Except) { "$relative|$((Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash)" }
            } | Sort-Object)
    }

    function Get-Temporary([string] $Root) { @(Get-ChildItem -LiteralPath $Root -Recurse -Force -Filter '*.splicetmp' | ForEach-Object FullName) }

    function Get-ExtraListener($OnHost) { @(ip netns exec $OnHost.Namespace ss -Hltn | Where-Object { $_ -and $_ -notmatch ':22\s' }) }

    # What a local tree copy reports for the same tree into $Into: the id and category to expect
    # (one file at a time: files copied beside the large one could find the tmpfs full too).
    function Get-LocalFailure([string] $Source, [string] $Into) {
        Invoke-FreshPwsh -Json -Environment @{ SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE; NO_COLOR = '1' } -Script @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
Copy-SpliceItem -Recurse -LiteralPath '$Source' -Destination '$Into' -ThrottleLimit 1 -ErrorVariable failed -ErrorAction SilentlyContinue
$Failures
"@
    }
}

AfterAll {
    Stop-RemoteHost $Remote
    Stop-RemoteHost $Tiny
}

Describe 'A remote tree copy where the receiving side has no room for one file' {
    BeforeEach { Reset-RemoteHost $Remote, $Tiny }

    It 'fails that file on the far host alone and copies the rest whole (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive "full-far-$Transport"
        New-FaultTree $source
        $result = Invoke-Tree $Tiny @"
Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Tiny.Root)' -ToSession `$session -Transport $Transport -ErrorVariable failed -ErrorAction SilentlyContinue
$Failures
"@
        @($result) | Should -Be @("SystemCallFailed$Id|$source/big/huge.bin|ResourceUnavailable") -Because 'a local tree copy reports a full destination so'
        $copy = Join-Path $Tiny.Root "full-far-$Transport"
        Get-FileFact $copy | Should -Be (Get-FileFact $source -Except 'big/huge.bin') -Because 'the files before and after it arrived whole'
        Test-Path -LiteralPath "$copy/big" -PathType Container | Should -BeTrue
        Get-ChildItem -LiteralPath "$copy/big" -Force | Should -BeNullOrEmpty -Because 'nothing of the file that did not fit stays'
        Get-Temporary $Tiny.Root | Should -BeNullOrEmpty
        [long](df --output=used -B1 $Tiny.Root | Select-Object -Last 1) | Should -BeLessThan 512KB -Because 'the space the failed file took was given back'
        Get-ExtraListener $Tiny | Should -BeNullOrEmpty
    }

    It 'fails that file here alone and fetches the rest whole, as a local copy would (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $Remote.Root "full-near-$Transport"
        New-FaultTree $source
        $full = Join-Path $TestDrive "tiny-$Transport"
        New-Item -ItemType Directory -Path $full | Out-Null
        mount -t tmpfs -o size=1m tmpfs $full
        try {
            $local = Get-LocalFailure $source "$full/local"
            Remove-Item -LiteralPath "$full/local" -Recurse -Force
            $result = Invoke-Tree $Remote @"
Copy-SpliceItem -Recurse -Path '$source' -Destination '$full/fetched' -FromSession `$session -Transport $Transport -ErrorVariable failed -ErrorAction SilentlyContinue
$Failures
"@
            @($local) | Should -Be @("SystemCallFailed$Id|$source/big/huge.bin|ResourceUnavailable")
            @($result) | Should -Be @($local) -Because 'the same failure gets the same id, target and category as in a local copy'
            Get-FileFact "$full/fetched" | Should -Be (Get-FileFact $source -Except 'big/huge.bin')
            Get-ChildItem -LiteralPath "$full/fetched/big" -Force | Should -BeNullOrEmpty
            Get-Temporary $full | Should -BeNullOrEmpty
            [long](df --output=used -B1 $full | Select-Object -Last 1) | Should -BeLessThan 512KB
        }
        finally {
            umount $full
        }
    }
}

Describe 'A remote tree copy where the sending side cannot read one file after announcing it' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'reports that file from this host and sends the rest whole (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive "unread-near-$Transport"
        New-FaultTree $source
        New-Item -ItemType File -Path "$source/big/speed" | Out-Null
        mount --bind $FailingRead "$source/big/speed"
        try {
            $local = Get-LocalFailure $source (Join-Path $TestDrive "unread-local-$Transport")
            $result = Invoke-Tree $Remote @"
Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -Transport $Transport -ErrorVariable failed -ErrorAction SilentlyContinue
$Failures
"@
            @($local) | Should -Be @("SystemCallFailed$Id|$source/big/speed|InvalidArgument")
            @($result) | Should -Be @($local)
            $copy = Join-Path $Remote.Root "unread-near-$Transport"
            Get-FileFact $copy | Should -Be (Get-FileFact $source -Except 'big/speed') -Because 'the large file beside it and all the others arrived whole'
            Test-Path -LiteralPath "$copy/big/speed" | Should -BeFalse -Because 'what was sent of it was thrown away'
            Get-Temporary $Remote.Root | Should -BeNullOrEmpty
            Get-ExtraListener $Remote | Should -BeNullOrEmpty
        }
        finally {
            umount "$source/big/speed"
        }
    }

    It 'reports that file from the far host and fetches the rest whole (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $Remote.Root "unread-far-$Transport"
        New-FaultTree $source
        New-Item -ItemType File -Path "$source/big/speed" | Out-Null
        # In the far host's own mount namespace (sshd's, which its sessions share), not in this one.
        nsenter -t $Remote.SshdPid -m mount --bind $FailingRead "$source/big/speed"
        $LASTEXITCODE | Should -Be 0
        $local = Join-Path $TestDrive "unread-far-$Transport"
        $result = Invoke-Tree $Remote @"
Copy-SpliceItem -Recurse -Path '$source' -Destination '$local' -FromSession `$session -Transport $Transport -ErrorVariable failed -ErrorAction SilentlyContinue
$Failures
"@
        nsenter -t $Remote.SshdPid -m umount "$source/big/speed"
        @($result) | Should -Be @("SystemCallFailed$Id|$source/big/speed|InvalidArgument")
        Get-FileFact $local | Should -Be (Get-FileFact $source -Except 'big/speed')
        Test-Path -LiteralPath "$local/big/speed" | Should -BeFalse
        Get-Temporary $local | Should -BeNullOrEmpty
    }
}

Describe 'A remote tree copy where one file vanishes after the walk' {
    BeforeEach { Reset-RemoteHost $Remote -Rate 16mbit }
    AfterEach { Reset-RemoteHost $Remote -LinksOnly }

    # The tree is walked before anything is sent; a/big.bin takes seconds on the slowed link, and
    # z/late.bin, opened only after it, is removed once the stream has begun.
    It 'reports the vanished file as PathNotFound and copies the rest (-<Direction>)' -TestCases @(@{ Direction = 'ToSession' }, @{ Direction = 'FromSession' }) {
        param($Direction)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $fetch = $Direction -eq 'FromSession'
        $source = Join-Path $(if ($fetch) { $Remote.Root } else { $TestDrive }) "vanish-$Direction"
        New-Item -ItemType Directory -Path "$source/a", "$source/z" | Out-Null
        [IO.File]::WriteAllBytes("$source/a/big.bin", [byte[]]::new(8MB))
        foreach ($name in 'late.bin', 'stays.bin') { [IO.File]::WriteAllBytes("$source/z/$name", [byte[]]::new(5000)) }
        $into = if ($fetch) { Join-Path $TestDrive "vanish-into" } else { $Remote.Root }
        New-Item -ItemType Directory -Path $into -Force | Out-Null
        $pathParameter = if ($fetch) { 'Path' } else { 'LiteralPath' }
        $run = New-RemoteSessionRun $Remote @"
`$shell = [powershell]::Create()
`$null = `$shell.AddScript('Import-Module `$env:SPLICEMODULE_TEST_MODULE').Invoke()
`$shell.Commands.Clear()
`$null = `$shell.AddCommand('Copy-SpliceItem').AddParameters(@{ $pathParameter = '$source'; Destination = '$into'; $Direction = `$session; Transport = 'Plain'; Recurse = `$true })
`$running = `$shell.BeginInvoke()
# The receiving side makes a/ when the stream begins, while a/big.bin is still on its way.
foreach (`$try in 1..1000) {
    if ((Test-Path -LiteralPath '$into/vanish-$Direction/a') -or `$running.IsCompleted) { break }
    Start-Sleep -Milliseconds 10
}
"STARTED=`$(-not `$running.IsCompleted)"
Remove-Item -LiteralPath '$source/z/late.bin'
`$null = `$shell.EndInvoke(`$running)
@(`$shell.Streams.Error | ForEach-Object { "ERROR=`$(`$_.FullyQualifiedErrorId)|`$(`$_.TargetObject)|`$(`$_.CategoryInfo.Category)" })
"@
        $ran = Invoke-FreshPwsh -TimeoutSeconds 120 @run
        $ran.ExitCode | Should -Be 0 -Because "$($ran.Output) $($ran.Error)"
        $ran.Lines | Should -Contain 'STARTED=True' -Because 'the file was removed while the tree was on its way'
        @($ran.Lines | Where-Object { $_ -like 'ERROR=*' }) | Should -Be @("ERROR=PathNotFound$Id|$source/z/late.bin|ObjectNotFound")
        $copy = Join-Path $into "vanish-$Direction"
        @(Get-ChildItem -LiteralPath $copy -Recurse -File -Force | ForEach-Object { [IO.Path]::GetRelativePath($copy, $_.FullName) } | Sort-Object) | Should -Be @('a/big.bin', 'z/stays.bin')
        (Get-Item -LiteralPath "$copy/a/big.bin").Length | Should -Be 8MB
        Get-Temporary $into | Should -BeNullOrEmpty
    }
}
