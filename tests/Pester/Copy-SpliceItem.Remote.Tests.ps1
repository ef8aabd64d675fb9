BeforeDiscovery {
    $script:Transports = @('Encrypted', 'Plain', 'Session') | ForEach-Object { @{ Transport = $_ } }
    . (Join-Path $PSScriptRoot 'Support/StandingDestinations.ps1')
    $script:BothWays = Get-BothWaysCase
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    $script:SkipReason = Get-RemoteHostSkipReason
    $script:Remote = $null
    if (-not $SkipReason) { $script:Remote = Start-RemoteHost -Label cp }

    # Runs $Body in a fresh pwsh with the built module and $session, a PSSession to the test host;
    # returns what $Body returns (through JSON). $Body sees $HostRoot, the host's own directory.
    # -Module: the module directory to import instead of the built one.
    function Invoke-WithSession([string] $Body, [string] $Module = $env:SPLICEMODULE_TEST_MODULE) {
        $script = @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
`$PSStyle.OutputRendering = 'PlainText'
`$HostRoot = `$env:SM_ROOT
`$session = New-PSSession -HostName `$env:SM_HOST -UserName root -KeyFilePath `$env:SM_KEY -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = `$env:SM_KNOWN; BatchMode = 'yes'; LogLevel = 'ERROR' } -ErrorAction Stop
try {
$Body
}
finally { Remove-PSSession `$session }
"@
        Invoke-FreshPwsh -Json -Script $script -TimeoutSeconds 120 -Environment @{
            SPLICEMODULE_TEST_MODULE = $Module
            SM_HOST = $Remote.Address; SM_KEY = $Remote.KeyFile; SM_KNOWN = $Remote.KnownHosts; SM_ROOT = $Remote.Root
        }
    }

    # What is left in a host's directory besides the expected names (temporary files, half copies).
    function Get-Leftover([string] $Directory, [string[]] $Expected) {
        @(Get-ChildItem -LiteralPath $Directory -Force -Recurse | Where-Object Name -NotIn $Expected | ForEach-Object FullName)
    }

    # TCP ports listening in the host's namespace, other than sshd's.
    function Get-ExtraListener {
        @(ip netns exec $Remote.Namespace ss -Hltn | Where-Object { $_ -and $_ -notmatch ':22\s' })
    }
}

AfterAll {
    Stop-RemoteHost $Remote
}

Describe 'Copy-SpliceItem -ToSession' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'sends a file byte-identical with mode and times, into a directory under its own name (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive "to-$Transport.bin") (3MB + 17)
        chmod 640 $source.FullName
        touch -d '2001-02-03 04:05:06.789' $source.FullName
        $result = Invoke-WithSession @"
`$item = Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -Transport $Transport -PassThru
@{ FullName = `$item.FullName; Computer = `$item.PSComputerName; Bytes = `$item.BytesCopied; Transport = "`$(`$item.Transport)" }
"@
        $copy = Join-Path $Remote.Root $source.Name
        $result.FullName | Should -Be $copy
        $result.Computer | Should -Be $Remote.Address
        $result.Bytes | Should -Be $source.Length
        $result.Transport | Should -Be $Transport
        Get-Sha $copy | Should -Be (Get-Sha $source.FullName)
        stat -c '%a %Y.%y' $copy | Should -Be (stat -c '%a %Y.%y' $source.FullName)
        Get-Leftover $Remote.Root @($source.Name) | Should -BeNullOrEmpty
        Get-ExtraListener | Should -BeNullOrEmpty -Because 'the data listener closes when the copy ends'
    }

    It 'copies an empty file and names a new file (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive "empty-$Transport") 0
        Invoke-WithSession "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `"`$HostRoot/renamed`" -ToSession `$session -Transport $Transport; 'ok'" | Should -Be 'ok'
        (Get-Item -LiteralPath (Join-Path $Remote.Root 'renamed')).Length | Should -Be 0
    }

    It 'replaces a read-only destination on the host, as root there may (as cp and Copy-Item do for root)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'ro.bin') 70000
        $target = Join-Path $Remote.Root 'ro.bin'
        Set-Content -LiteralPath $target -Value 'old'
        chmod 444 $target
        Invoke-WithSession "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -ErrorAction Stop; 'ok'" | Should -Be 'ok'
        Get-Sha $target | Should -Be (Get-Sha $source.FullName)
        Get-Leftover $Remote.Root @('ro.bin') | Should -BeNullOrEmpty
    }

    It 'writes nothing with -WhatIf' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'whatif.bin') 100
        Invoke-WithSession "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -WhatIf; 'ok'" | Should -Be 'ok'
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
    }

    It 'fails a missing remote directory with nothing left and no port open' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'nowhere.bin') 100
        $result = Invoke-WithSession @"
Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination "`$HostRoot/missing/x.bin" -ToSession `$session -ErrorVariable failed -ErrorAction SilentlyContinue
Copy-Item -LiteralPath '$($source.FullName)' -Destination "`$HostRoot/missing/x.bin" -ToSession `$session -ErrorVariable theirs -ErrorAction SilentlyContinue
@{ Id = `$failed[0].FullyQualifiedErrorId; Message = `$failed[0].Exception.Message; CopyItemId = `$theirs[0].FullyQualifiedErrorId }
"@
        $result.Id | Should -Be 'RemotePathNotFound,SpliceModule.Commands.CopySpliceItemCommand'
        $result.Id.Split(',')[0] | Should -Be $result.CopyItemId.Split(',')[0] -Because "Copy-Item's remote copy has an id for this"
        $result.Message | Should -Be "On '$($Remote.Address)': Cannot find path '$($Remote.Root)/missing' because it does not exist."
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
        Get-ExtraListener | Should -BeNullOrEmpty
    }

    It 'gives Copy-Item''s error ids for a relative remote path, no destination, and both sessions' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'ids.bin') 10
        $result = Invoke-WithSession @"
`$ids = @()
Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination 'relative/x' -ToSession `$session -ErrorVariable failed -ErrorAction SilentlyContinue
`$ids += `$failed[0].FullyQualifiedErrorId
Copy-SpliceItem -LiteralPath '$($source.FullName)' -ToSession `$session -ErrorVariable failed -ErrorAction SilentlyContinue
`$ids += `$failed[0].FullyQualifiedErrorId
Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -FromSession `$session -ErrorVariable failed -ErrorAction SilentlyContinue
`$ids += `$failed[0].FullyQualifiedErrorId
, `$ids
"@
        $result[0] | Should -Be 'RemotePathIsNotAbsolute,SpliceModule.Commands.CopySpliceItemCommand'
        $result[1] | Should -Be 'CopyItemRemoteDestinationIsNullOrEmpty,SpliceModule.Commands.CopySpliceItemCommand'
        $result[2] | Should -Be 'InvalidInput,SpliceModule.Commands.CopySpliceItemCommand'
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
    }

    It 'refuses the switches a copy to a session does not carry out, before copying anything' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'local-only.bin') 10
        $result = Invoke-WithSession @"
`$out = @()
foreach (`$switch in @{ Update = `$true }, @{ Mirror = `$true }, @{ InPlace = `$true }, @{ Container = `$false }) {
    try { Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session @switch -ErrorAction Stop; `$out += 'copied' }
    catch { `$out += `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message }
}
, `$out
"@
        $result.Count | Should -Be 4
        $result | ForEach-Object { $_ | Should -BeLike 'NotSupportedForSessions,SpliceModule.Commands.CopySpliceItemCommand *nothing was copied*' }
        $result[3] | Should -BeLike '*-Container:$false*'
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
    }

    It 'refuses -Method, -Retry, -RetryDelay and -Preserve ExtendedAttributes, which a remote copy cannot honour, either way' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'not-honoured.bin') 10
        Set-Content -LiteralPath (Join-Path $Remote.Root 'far.txt') -Value 'far'
        $local = Join-Path $TestDrive 'not-honoured'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession @"
`$out = @()
foreach (`$switch in @{ Method = 'Reflink' }, @{ Method = 'ReadWrite' }, @{ Retry = 2 }, @{ RetryDelay = 0 }, @{ Preserve = 'ExtendedAttributes' }, @{ Preserve = 'Mode, ExtendedAttributes' }) {
    try { Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination "`$HostRoot/" -ToSession `$session @switch -ErrorAction Stop; `$out += 'copied' }
    catch { `$out += `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message }
    try { Copy-SpliceItem -Path "`$HostRoot/far*" -Destination '$local' -FromSession `$session @switch -ErrorAction Stop; `$out += 'copied' }
    catch { `$out += `$_.FullyQualifiedErrorId + ' ' + `$_.Exception.Message }
}
, `$out
"@
        $result.Count | Should -Be 12
        $result | ForEach-Object { $_ | Should -BeLike 'NotSupportedForSessions,SpliceModule.Commands.CopySpliceItemCommand *nothing was copied*' }
        $result[0] | Should -BeLike '*-Method Reflink*-Transport*'
        $result[4] | Should -BeLike '*-Retry *'
        $result[6] | Should -BeLike '*-RetryDelay*'
        $result[8] | Should -BeLike '*-Preserve ExtendedAttributes*not carried*'
        @(Get-ChildItem -LiteralPath $Remote.Root -Force -Name) | Should -Be @('far.txt')
        Get-ChildItem -LiteralPath $local -Force | Should -BeNullOrEmpty
    }

    It 'copies with -Preserve All what it can and warns once a command that extended attributes stay behind, either way' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $sources = foreach ($name in 'xa1.txt', 'xa2.txt') {
            $file = New-TestFile (Join-Path $TestDrive $name) 100
            python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.splice.test', b'value')" $file.FullName
            chmod 604 $file.FullName
            touch -d '2002-03-04 05:06:07' $file.FullName
            $file
        }
        $local = Join-Path $TestDrive 'xa-back'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession @"
Copy-SpliceItem -LiteralPath '$($sources[0].FullName)', '$($sources[1].FullName)' -Destination "`$HostRoot/" -ToSession `$session -Preserve All -WarningVariable sent -ErrorAction Stop
Copy-SpliceItem -Path "`$HostRoot/xa*.txt" -Destination '$local' -FromSession `$session -Preserve All -WarningVariable fetched -ErrorAction Stop
@{ Sent = @(`$sent | ForEach-Object Message); Fetched = @(`$fetched | ForEach-Object Message) }
"@
        @($result.Sent).Count | Should -Be 1
        $result.Sent[0] | Should -BeLike '*-Preserve All*extended attributes*not carried*'
        @($result.Fetched).Count | Should -Be 1
        foreach ($file in $sources) {
            $far = Join-Path $Remote.Root $file.Name
            Get-Sha $far | Should -Be (Get-Sha $file.FullName)
            stat -c '%a %Y' $far | Should -Be (stat -c '%a %Y' $file.FullName)
            stat -c '%a %Y' (Join-Path $local $file.Name) | Should -Be (stat -c '%a %Y' $file.FullName)
        }
    }

    It 'counts each file copied, and its bytes, in -Summary, either way' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'counted.bin') 4321
        $local = Join-Path $TestDrive 'counted'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession @"
`$sent = Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination "`$HostRoot/" -ToSession `$session -Summary
`$fetched = Copy-SpliceItem -Path "`$HostRoot/counted.bin", "`$HostRoot/absent.bin" -Destination '$local' -FromSession `$session -Summary -ErrorAction SilentlyContinue
@{ Sent = "`$(`$sent.Copied) `$(`$sent.BytesCopied) `$(`$sent.Failed)"; Fetched = "`$(`$fetched.Copied) `$(`$fetched.BytesCopied) `$(`$fetched.Failed)" }
"@
        $result.Sent | Should -Be '1 4321 0'
        $result.Fetched | Should -Be '1 4321 1'
    }

    It 'matches hidden (dot) items with a wildcard only with -Force, as a local copy, either way' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        foreach ($name in 'seen.cfg', '.hidden.cfg') { Set-Content -LiteralPath (Join-Path $Remote.Root $name) -Value $name }
        $here = Join-Path $TestDrive 'dots-here'
        New-Item -ItemType Directory -Path $here | Out-Null
        foreach ($name in 'mine.ini', '.mine.ini') { Set-Content -LiteralPath (Join-Path $here $name) -Value $name }
        $plain, $forced = (Join-Path $TestDrive 'dots-plain'), (Join-Path $TestDrive 'dots-forced')
        New-Item -ItemType Directory -Path $plain, $forced | Out-Null
        $null = Invoke-WithSession @"
Copy-SpliceItem -Path "`$HostRoot/*.cfg" -Destination '$plain' -FromSession `$session -ErrorAction Stop
Copy-SpliceItem -Path "`$HostRoot/*.cfg" -Destination '$forced' -FromSession `$session -Force -ErrorAction Stop
Copy-SpliceItem -Path '$here/*.ini' -Destination "`$HostRoot/" -ToSession `$session -ErrorAction Stop
New-Item -ItemType Directory -Path "`$HostRoot/forced" | Out-Null
Copy-SpliceItem -Path '$here/*.ini' -Destination "`$HostRoot/forced/" -ToSession `$session -Force -ErrorAction Stop
'ok'
"@
        @(Get-ChildItem -LiteralPath $plain -Force -Name) | Should -Be @('seen.cfg')
        @(Get-ChildItem -LiteralPath $forced -Force -Name | Sort-Object) | Should -Be @('.hidden.cfg', 'seen.cfg')
        @(Get-ChildItem -LiteralPath $Remote.Root -Force -File -Name -Filter *.ini) | Should -Be @('mine.ini')
        @(Get-ChildItem -LiteralPath (Join-Path $Remote.Root 'forced') -Force -Name | Sort-Object) | Should -Be @('.mine.ini', 'mine.ini')
    }

    It 'checks the copy against the source''s SHA-256 with -Verify' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'verify.bin') 123457
        $result = Invoke-WithSession "(Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -Verify -PassThru).Sha256"
        $result | Should -Be (Get-Sha $source.FullName)
    }
}

Describe 'Copy-SpliceItem -FromSession' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'fetches a file byte-identical with mode and times, into a local directory under its own name (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $remoteFile = New-TestFile (Join-Path $Remote.Root "from-$Transport.bin") (2MB + 3)
        chmod 600 $remoteFile.FullName
        touch -d '1999-12-31 23:59:58.5' $remoteFile.FullName
        $local = Join-Path $TestDrive "fetched-$Transport"
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession "(Copy-SpliceItem -Path '$($remoteFile.FullName)' -Destination '$local' -FromSession `$session -Transport $Transport -PassThru).FullName"
        $copy = Join-Path $local $remoteFile.Name
        $result | Should -Be $copy
        Get-Sha $copy | Should -Be (Get-Sha $remoteFile.FullName)
        stat -c '%a %Y.%y' $copy | Should -Be (stat -c '%a %Y.%y' $remoteFile.FullName)
        @(Get-ChildItem -LiteralPath $local -Force).Count | Should -Be 1
    }

    It 'resolves wildcards on the far host, where the files are; one that matches nothing is silent' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        foreach ($name in 'a1.log', 'a2.log', 'b.log') { Set-Content -LiteralPath (Join-Path $Remote.Root $name) -Value $name }
        $local = Join-Path $TestDrive 'globbed'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession @"
Copy-SpliceItem -Path "`$HostRoot/a*.log", "`$HostRoot/none*.txt" -Destination '$local' -FromSession `$session -ErrorVariable failed
`$failed.Count
"@
        $result | Should -Be 0
        @(Get-ChildItem -LiteralPath $local -Name | Sort-Object) | Should -Be @('a1.log', 'a2.log')
        Get-Content -LiteralPath (Join-Path $local 'a2.log') | Should -Be 'a2.log'
    }

    It 'changes nothing on either host with -WhatIf and a wildcard' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        foreach ($name in 'w1.dat', 'w2.dat') { Set-Content -LiteralPath (Join-Path $Remote.Root $name) -Value $name }
        $local = Join-Path $TestDrive 'whatif-glob'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession @"
Copy-SpliceItem -Path "`$HostRoot/w*.dat" -Destination '$local' -FromSession `$session -WhatIf
@{ Loaded = [bool](Invoke-Command -Session `$session { Get-Module SpliceModule }) }
"@
        $result.Loaded | Should -BeFalse -Because '-WhatIf brings no module to the far host'
        Get-ChildItem -LiteralPath $local -Force | Should -BeNullOrEmpty
        @(Get-ChildItem -LiteralPath $Remote.Root -Force -Name | Sort-Object) | Should -Be @('w1.dat', 'w2.dat')
    }

    It 'says DestinationDirectoryNotFound for a missing local directory, as a local copy does' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Set-Content -LiteralPath (Join-Path $Remote.Root 'orphan.txt') -Value 'x'
        $result = Invoke-WithSession @"
Copy-SpliceItem -Path "`$HostRoot/orphan.txt" -Destination '$TestDrive/missing/orphan.txt' -FromSession `$session -ErrorVariable failed -ErrorAction SilentlyContinue
Copy-SpliceItem -Path "`$HostRoot/orphan.txt" -Destination '$TestDrive/missing/orphan.txt' -ErrorVariable local -ErrorAction SilentlyContinue
@(`$failed | ForEach-Object FullyQualifiedErrorId)
"@
        $result | Should -Be 'DestinationDirectoryNotFound,SpliceModule.Commands.CopySpliceItemCommand'
        Test-Path -LiteralPath (Join-Path $TestDrive 'missing') | Should -BeFalse
    }

    It 'shows a fetched sparse file as sparse with -PassThru, and its full length' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $far = Join-Path $Remote.Root 'holes.img'
        truncate -s 10M $far
        dd if=/dev/urandom of=$far bs=4096 count=1 conv=notrunc status=none
        $local = Join-Path $TestDrive 'holes-back'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession @"
`$item = Copy-SpliceItem -LiteralPath '$far' -Destination '$local' -FromSession `$session -Transport Plain -PassThru
@{ Length = `$item.Length; Sparse = `$item.Sparse; Bytes = `$item.BytesCopied }
"@
        $result.Length | Should -Be 10MB
        $result.Bytes | Should -Be 4096
        $result.Sparse | Should -BeTrue
    }

    It 'reports a missing remote file as RemotePathNotFound, as Copy-Item does, and writes nothing' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $local = Join-Path $TestDrive 'nothing'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-WithSession @"
Copy-SpliceItem -Path "`$HostRoot/absent.bin" -Destination '$local' -FromSession `$session -ErrorVariable failed -ErrorAction SilentlyContinue
Copy-Item -Path "`$HostRoot/absent.bin" -Destination '$local' -FromSession `$session -ErrorVariable theirs -ErrorAction SilentlyContinue
`$failed[0].FullyQualifiedErrorId, `$theirs[0].FullyQualifiedErrorId
"@
        $result[0] | Should -Be 'RemotePathNotFound,SpliceModule.Commands.CopySpliceItemCommand'
        $result[0].Split(',')[0] | Should -Be $result[1].Split(',')[0]
        Get-ChildItem -LiteralPath $local -Force | Should -BeNullOrEmpty
    }
}

Describe 'Copy-SpliceItem with sessions onto what stands at the destination' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Support/StandingDestinations.ps1')
        $script:Owner = if (-not $SkipReason) { New-StandingOwner }

        # Copies $Source to each of $Destinations in the direction asked; 'ok' when none failed.
        function Invoke-Copy([string] $Direction, [string] $Transport, [string] $Source, [string[]] $Destinations, [string] $Extra = '') {
            $copies = foreach ($destination in $Destinations) {
                "Copy-SpliceItem -LiteralPath '$Source' -Destination '$destination' -$Direction `$session -Transport $Transport $Extra -ErrorAction Stop"
            }
            Invoke-WithSession ((@($copies) + "'ok'") -join "`n")
        }
    }

    AfterAll { Remove-StandingOwner $Owner }

    BeforeEach { Reset-RemoteHost $Remote }

    It 'writes into a FIFO and a device node in place, as a local copy does, never replacing them (<Direction>, <Transport>)' -TestCases $BothWays {
        param($Direction, $Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $ends = Get-Ends $Direction "nodes-$Direction-$Transport" $TestDrive $Remote.Root
        $source = New-HoledFile (Join-Path $ends.From 'payload.bin')
        $null = New-NullNode (Join-Path $ends.Into 'null')
        $read = Join-Path $TestDrive "read-$Direction-$Transport"
        $reader = Start-FifoReader (Join-Path $ends.Into 'fifo') $read
        try {
            Invoke-Copy $Direction $Transport $source.FullName @("$($ends.Into)/null", "$($ends.Into)/fifo") | Should -Be 'ok'
        }
        finally {
            $ended = Stop-FifoReader $reader
        }
        Get-NodeFact "$($ends.Into)/null" | Should -Be 'character special file 1:3' -Because 'a device at the destination is written, not replaced'
        stat -c '%F' -- "$($ends.Into)/fifo" | Should -Be 'fifo'
        $ended | Should -BeTrue -Because 'the copy closes the FIFO once the file is through'
        Get-Sha $read | Should -Be (Get-Sha $source.FullName) -Because 'the reader gets every byte, the hole as zeros'
        @(Get-ChildItem -LiteralPath $ends.Into -Force -Name | Sort-Object) | Should -Be @('fifo', 'null')
        Get-ExtraListener | Should -BeNullOrEmpty
    }

    It 'sends a file large enough for several Encrypted connections into a FIFO on one, in order (<Direction>)' -TestCases @(@{ Direction = 'ToSession' }, @{ Direction = 'FromSession' }) {
        param($Direction)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $ends = Get-Ends $Direction "striped-$Direction" $TestDrive $Remote.Root
        $source = Join-Path $ends.From 'large.bin'
        bash -c 'head -c 100M /dev/urandom > "$0"' $source
        $read = Join-Path $TestDrive "read-striped-$Direction"
        $reader = Start-FifoReader (Join-Path $ends.Into 'fifo') $read
        try {
            Invoke-Copy $Direction 'Encrypted' $source @("$($ends.Into)/fifo") | Should -Be 'ok'
        }
        finally {
            $ended = Stop-FifoReader $reader
        }
        $ended | Should -BeTrue
        stat -c '%F' -- "$($ends.Into)/fifo" | Should -Be 'fifo'
        Get-Sha $read | Should -Be (Get-Sha $source) -Because 'the stripes a regular file would take come on one connection, in order'
    }

    It 'keeps the owner, group and mode of a file it replaces, unless -Preserve takes the source''s (<Direction>, <Transport>)' -TestCases $BothWays {
        param($Direction, $Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $ends = Get-Ends $Direction "kept-$Direction-$Transport" $TestDrive $Remote.Root
        $source = New-TestFile (Join-Path $ends.From 'kept.txt') 5000
        chmod 640 $source.FullName
        New-ForeignFile "$($ends.Into)/kept.txt" $Owner '604'
        New-ForeignFile "$($ends.Into)/given.txt" $Owner '604'
        Invoke-Copy $Direction $Transport $source.FullName @($ends.Into) | Should -Be 'ok'
        Invoke-Copy $Direction $Transport $source.FullName @("$($ends.Into)/given.txt") '-Preserve Mode' | Should -Be 'ok'
        Get-Sha "$($ends.Into)/kept.txt" | Should -Be (Get-Sha $source.FullName)
        Get-OwnerFact "$($ends.Into)/kept.txt" | Should -Be "$($Owner.Uid):$($Owner.Gid) 604" -Because 'a replaced file keeps who may read it, as a local copy keeps it'
        Get-Sha "$($ends.Into)/given.txt" | Should -Be (Get-Sha $source.FullName)
        Get-OwnerFact "$($ends.Into)/given.txt" | Should -Be "$($Owner.Uid):$($Owner.Gid) 640" -Because '-Preserve Mode takes the mode from the source and keeps the rest'
        @(Get-ChildItem -LiteralPath $ends.Into -Force -Name | Sort-Object) | Should -Be @('given.txt', 'kept.txt')
    }
}

Describe 'Copy-SpliceItem with a session: /proc and /sys files, whose size is not their length' {
    BeforeAll {
        # Files whose content is the same at every read: /proc reports size 0, /sys a page (4096).
        $script:Pseudo = @('/proc/cpuinfo', '/proc/sys/kernel/ostype', '/sys/kernel/mm/transparent_hugepage/enabled', '/sys/devices/system/cpu/cpu0/topology/core_cpus_list') |
            Where-Object { Test-Path -LiteralPath $_ }
        # /proc/cpuinfo less its clock lines, which change between reads.
        function Get-Stable([string] $Path) { @(Get-Content -LiteralPath $Path | Where-Object { $_ -notmatch 'MHz' }) -join "`n" }
    }

    BeforeEach { Reset-RemoteHost $Remote }

    It 'sends their whole content, checked with -Verify, either way (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $local = Join-Path $TestDrive "pseudo-$Transport"
        New-Item -ItemType Directory -Path $local | Out-Null
        $list = ($Pseudo | ForEach-Object { "'$_'" }) -join ', '
        $result = Invoke-WithSession @"
`$sent = @(foreach (`$path in $list) { Copy-SpliceItem -LiteralPath `$path -Destination "`$HostRoot/to-`$(Split-Path -Leaf `$path)" -ToSession `$session -Transport $Transport -Verify -PassThru -ErrorVariable +failed })
`$fetched = @(foreach (`$path in $list) { Copy-SpliceItem -LiteralPath `$path -Destination "$local/from-`$(Split-Path -Leaf `$path)" -FromSession `$session -Transport $Transport -Verify -PassThru -ErrorVariable +failed })
@{ Failed = @(`$failed | ForEach-Object { "`$_" }); Sent = @(`$sent | ForEach-Object BytesCopied); Fetched = @(`$fetched | ForEach-Object BytesCopied) }
"@
        $result.Failed | Should -BeNullOrEmpty
        $Pseudo.Count | Should -BeGreaterOrEqual 2
        foreach ($path in $Pseudo) {
            $name = Split-Path -Leaf $path
            $expected = Get-Stable $path
            $expected | Should -Not -BeNullOrEmpty
            Get-Stable (Join-Path $Remote.Root "to-$name") | Should -Be $expected -Because "-ToSession sends all of $path"
            Get-Stable (Join-Path $local "from-$name") | Should -Be $expected -Because "-FromSession fetches all of $path"
        }

        $result.Sent | Should -Not -Contain 0
        $result.Fetched | Should -Not -Contain 0
        Get-Leftover $Remote.Root @($Pseudo | ForEach-Object { "to-$(Split-Path -Leaf $_)" }) | Should -BeNullOrEmpty
    }
}

Describe 'The module on a host that lacks it' {
    It 'is sent over the session into a per-user cache checked by SHA-256, and found there the next time' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $version = (Import-PowerShellDataFile (Join-Path $env:SPLICEMODULE_TEST_MODULE 'SpliceModule.psd1')).ModuleVersion
        $build = (Get-Sha (Join-Path $env:SPLICEMODULE_TEST_MODULE 'SpliceModule.dll')).Substring(0, 16).ToLowerInvariant()
        $cache = Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) "SpliceModule/$version-$build"
        if (Test-Path -LiteralPath $cache) { Remove-Item -LiteralPath $cache -Recurse -Force }
        $source = New-TestFile (Join-Path $TestDrive 'boot.bin') 5000
        $result = Invoke-WithSession @"
`$before = (Invoke-Command -Session `$session { [bool](Get-Module SpliceModule) }) -eq `$true
Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -Transport Plain
`$base = Invoke-Command -Session `$session { (Get-Module SpliceModule).ModuleBase }
@{ Before = `$before; Base = `$base }
"@
        $result.Before | Should -BeFalse
        $result.Base | Should -Be $cache
        Get-Sha (Join-Path $cache 'SpliceModule.dll') | Should -Be (Get-Sha (Join-Path $env:SPLICEMODULE_TEST_MODULE 'SpliceModule.dll'))
        Get-Sha (Join-Path $Remote.Root 'boot.bin') | Should -Be (Get-Sha $source.FullName)

        # A file in the cache that does not match is sent again.
        Set-Content -LiteralPath (Join-Path $cache 'SpliceModule.psd1') -Value '# tampered'
        Invoke-WithSession "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -Force; 'ok'" | Should -Be 'ok'
        Get-Sha (Join-Path $cache 'SpliceModule.psd1') | Should -Be (Get-Sha (Join-Path $env:SPLICEMODULE_TEST_MODULE 'SpliceModule.psd1'))
    }

    It 'is RemoteModuleNotLoaded when the far cache has no room, leaving no part of a file at its name' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'no-room.bin') 5000
        # A tmpfs too small for the module's dll, mounted on the far host only, as its user's data directory.
        $result = Invoke-WithSession @"
`$full = Invoke-Command -Session `$session {
    `$dir = Join-Path ([IO.Path]::GetTempPath()) "sm-full-cache-`$PID"
    `$null = New-Item -ItemType Directory -Path `$dir
    mount -t tmpfs -o size=256k tmpfs `$dir
    `$env:XDG_DATA_HOME = `$dir
    `$dir
}
try {
    Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -Transport Plain -ErrorVariable failed -ErrorAction SilentlyContinue
    `$left = Invoke-Command -Session `$session { param(`$dir) @(Get-ChildItem -LiteralPath `$dir -Recurse -File -Force | ForEach-Object { "`$(`$_.Name) `$(`$_.Length)" }) } -ArgumentList `$full
    @{ Id = `$failed[0].FullyQualifiedErrorId; Message = "`$(`$failed[0])"; Left = `$left; Loaded = [bool](Invoke-Command -Session `$session { @(Get-Module SpliceModule).Count }) }
}
finally { Invoke-Command -Session `$session { param(`$dir) umount `$dir; Remove-Item -LiteralPath `$dir -Recurse -Force } -ArgumentList `$full }
"@
        $result.Id | Should -Be 'RemoteModuleNotLoaded,SpliceModule.Commands.CopySpliceItemCommand'
        $result.Message | Should -Match 'SpliceModule.dll'
        $dll = (Get-Item -LiteralPath (Join-Path $env:SPLICEMODULE_TEST_MODULE 'SpliceModule.dll')).Length
        @($result.Left | Where-Object { $_ -like '*.partial *' -or ($_ -like 'SpliceModule.dll *' -and $_ -ne "SpliceModule.dll $dll") }) | Should -BeNullOrEmpty
        $result.Loaded | Should -BeFalse
        Test-Path -LiteralPath (Join-Path $Remote.Root 'no-room.bin') | Should -BeFalse
    }

    It 'keeps copying after its own files are removed from disk (an upgrade or uninstall while a session runs)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $module = Join-Path $TestDrive 'installed/SpliceModule'
        New-Item -ItemType Directory -Path (Split-Path $module) | Out-Null
        Copy-Item -LiteralPath $env:SPLICEMODULE_TEST_MODULE -Destination $module -Recurse
        $source = New-TestFile (Join-Path $TestDrive 'during-upgrade.bin') 7000
        $result = Invoke-WithSession -Module $module @"
Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination "`$HostRoot/first" -ToSession `$session -Transport Plain -ErrorAction Stop
Remove-Item -LiteralPath '$module' -Recurse -Force
Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination "`$HostRoot/same-session" -ToSession `$session -Transport Plain -ErrorAction Stop
`$another = New-PSSession -HostName `$env:SM_HOST -UserName root -KeyFilePath `$env:SM_KEY -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = `$env:SM_KNOWN; BatchMode = 'yes'; LogLevel = 'ERROR' } -ErrorAction Stop
try { Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination "`$HostRoot/new-session" -ToSession `$another -Transport Encrypted -ErrorAction Stop }
finally { Remove-PSSession `$another }
'ok'
"@
        $result | Should -Be 'ok'
        foreach ($name in 'first', 'same-session', 'new-session') {
            Get-Sha (Join-Path $Remote.Root $name) | Should -Be (Get-Sha $source.FullName)
        }
    }
}

Describe 'The data connection''s listener' {
    # Drives the far half (RemoteAgent) by hand through a session, so that a test can connect to
    # its listener as a stranger would: with a wrong secret, a replayed one, a tampered record.
    BeforeAll {
        function Invoke-Listener([string] $Transport, [string] $Probe) {
            Invoke-WithSession @"
`$version = (Import-PowerShellDataFile (Join-Path `$env:SPLICEMODULE_TEST_MODULE 'SpliceModule.psd1')).ModuleVersion
Copy-SpliceItem -LiteralPath (Join-Path `$env:SPLICEMODULE_TEST_MODULE 'SpliceModule.psd1') -Destination "`$HostRoot/warmup" -ToSession `$session -Transport Session
Remove-Item "`$HostRoot/warmup"
`$ProbeTransport = '$Transport'; `$ProbeSize = 100; `$ProbeStripes = 1
. '$(Join-Path $PSScriptRoot 'Support/ListenerProbe.ps1')'
$Probe
"@
        }
    }

    BeforeEach { Reset-RemoteHost $Remote }

    It 'listens on the session''s address only, drops a wrong secret, takes the right one, then refuses it replayed' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $result = Invoke-Listener Plain @'
$wrong = [byte[]]::new(32)
$finishing = Invoke-Command -Session $session -AsJob { $global:agent.Finish(); $global:agent.Dispose() }
$droppedWrong = Test-Dropped (Connect $wrong)
$droppedSilent = Test-Dropped (Connect ([byte[]]::new(0)))
$right = Connect $secret
$payload = [byte[]](1..100)
$right.Stream.Write($payload, 0, 100); $right.Client.Dispose()
$null = Wait-Job $finishing; $done = Receive-Job $finishing; Remove-Job $finishing
$replayRefused = try { $c = Connect $secret; -not (Test-Dropped $c) -and $false } catch [Net.Sockets.SocketException] { $true }
@{ EndPoint = $endPoint; DroppedWrong = $droppedWrong; DroppedSilent = $droppedSilent; Failed = [bool]$done.Failed; Path = $done.Path; ReplayRefused = $replayRefused }
'@
        $result.EndPoint | Should -BeLike "$($Remote.Address):*" -Because 'the listener binds to the address of the session, not to every address'
        $listening = @(ip netns exec $Remote.Namespace ss -Hltn | Where-Object { $_ -notmatch ':22\s' })
        $listening | Should -BeNullOrEmpty -Because 'the port closes once the right peer is in'
        $result.DroppedWrong | Should -BeTrue
        $result.DroppedSilent | Should -BeTrue -Because 'a connection that sends nothing is dropped after the handshake time-out'
        $result.Failed | Should -BeFalse
        $result.Path | Should -Be (Join-Path $Remote.Root 'probe.bin')
        [IO.File]::ReadAllBytes((Join-Path $Remote.Root 'probe.bin')) | Should -Be ([byte[]](1..100))
        $result.ReplayRefused | Should -BeTrue -Because 'the secret is good for one connection, after which nothing listens'
    }

    It 'fails the copy on a tampered record and writes nothing' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $result = Invoke-Listener Encrypted @'
$aes = [Security.Cryptography.AesGcm]::new($key, 16)
$plain = [byte[]](1..100)
$header = [byte[]](0, 0, 0, 100)
$nonce = [byte[]](0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)
$cipher = [byte[]]::new(100); $tag = [byte[]]::new(16)
$aes.Encrypt($nonce, $plain, $cipher, $tag, $header)
$cipher[42] = $cipher[42] -bxor 1
$right = Connect $secret
$right.Stream.Write($header, 0, 4); $right.Stream.Write($cipher, 0, 100); $right.Stream.Write($tag, 0, 16); $right.Stream.Flush()
$done = Invoke-Command -Session $session { $global:agent.Finish(); $global:agent.Dispose() }
$right.Client.Dispose()
@{ Failed = [bool]$done.Failed; ErrorId = $done.ErrorId }
'@
        $result.Failed | Should -BeTrue
        $result.ErrorId | Should -Be 'RecordAuthenticationFailed'
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
    }
}

Describe 'Faults during a remote copy' {
    BeforeAll {
        # Probed on the host's own link (a dummy link would need a driver this kernel may lack too).
        $script:NetemSkip = if ($SkipReason) { $SkipReason } else {
            $said = tc qdisc add dev $Remote.Veth root netem delay 1ms 2>&1
            $netem = $LASTEXITCODE -eq 0
            tc qdisc del dev $Remote.Veth root 2>$null
            $global:LASTEXITCODE = 0
            if (-not $netem) { "this kernel has no netem qdisc (sch_netem; tc: $("$said".Trim())), so delay and loss cannot be made" }
        }

        # A copy slowed by a token bucket on the copying host's end of the link, running in the background.
        function Start-SlowCopy([string] $Source, [string] $Transport, [string] $Body = $null) {
            $copy = "Copy-SpliceItem -LiteralPath '$Source' -Destination `$HostRoot -ToSession `$session -Transport $Transport -ErrorVariable failed -ErrorAction SilentlyContinue"
            $script = @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
`$PSStyle.OutputRendering = 'PlainText'
`$HostRoot = `$env:SM_ROOT
`$session = New-PSSession -HostName `$env:SM_HOST -UserName root -KeyFilePath `$env:SM_KEY -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = `$env:SM_KNOWN; BatchMode = 'yes'; LogLevel = 'ERROR'; ServerAliveInterval = '2'; ServerAliveCountMax = '3' } -ErrorAction Stop
Copy-SpliceItem -LiteralPath (Join-Path `$env:SPLICEMODULE_TEST_MODULE 'SpliceModule.psd1') -Destination "`$HostRoot/warmup" -ToSession `$session -Transport Plain
Remove-Item "`$HostRoot/warmup"
# The warm-up's data connection gone first, so that the one Wait-Started sees is the copy's.
foreach (`$try in 1..200) {
    if (@(ss -Htn state established | Where-Object { `$_ -match [regex]::Escape("`$(`$env:SM_HOST):") -and `$_ -notmatch ':22(\s|`$)' }).Count -eq 0) { break }
    Start-Sleep -Milliseconds 50
}
'started'
`$null = New-Item -ItemType File -Path `$env:SM_STARTED
`$watch = [Diagnostics.Stopwatch]::StartNew()
$(if ($Body) { $Body } else { $copy })
"ERRORID=`$(`$failed[0].FullyQualifiedErrorId)"
"MESSAGE=`$(`$failed[0].Exception.Message)"
"@
            $started = Join-Path $TestDrive "started-$([guid]::NewGuid())"
            $fresh = Invoke-FreshPwsh -Background -Script $script -Environment @{
                SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE
                SM_HOST = $Remote.Address; SM_KEY = $Remote.KeyFile; SM_KNOWN = $Remote.KnownHosts; SM_ROOT = $Remote.Root
                SM_STARTED = $started
            }
            $fresh | Add-Member -NotePropertyName StartedMarker -NotePropertyValue $started -PassThru
        }

        # The copy's own data connection: the warm-up's opens one too, so the marker comes first
        # (a fault injected during the warm-up broke the session before the copy, SessionIsNotAvailable).
        function Wait-Started($fresh) {
            foreach ($try in 1..600) {
                if ($fresh.Process.HasExited) { throw "The copy ended early: $($fresh.Output.Result) $($fresh.Error.Result)" }
                if (-not (Test-Path -LiteralPath $fresh.StartedMarker)) { Start-Sleep -Milliseconds 100; continue }
                if (@(ip netns exec $Remote.Namespace ss -Htn state established | Where-Object { $_ -notmatch ':22\s' }).Count -gt 0) { return }
                Start-Sleep -Milliseconds 100
            }
            throw 'The data connection never opened.'
        }

        # Waits until the host has nothing listening but sshd (its far half has ended), at most 30 s.
        function Wait-NoListener {
            foreach ($try in 1..300) {
                if (@(Get-ExtraListener).Count -eq 0) { return $true }
                Start-Sleep -Milliseconds 100
            }
            $false
        }
    }

    BeforeEach {
        if ($SkipReason) { return }
        Reset-RemoteHost $Remote
        $script:Fresh = $null
        $script:Source = (New-TestFile (Join-Path $TestDrive 'slow.bin') 24MB).FullName
        tc qdisc add dev $Remote.Veth root tbf rate 24mbit burst 64kbit latency 2s
    }

    AfterEach {
        if ($SkipReason) { return }
        Reset-RemoteHost $Remote -LinksOnly
        $null = Stop-FreshPwsh $Fresh
    }

    It 'fails with a clear error when the link goes down mid-transfer, leaving nothing on the host' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Fresh = Start-SlowCopy $Source Plain
        Wait-Started $Fresh
        ip link set $Remote.Veth down
        # Down until the copy has failed here and the far half has given up on its quiet data
        # connection (up again earlier, the connection would just resume), within the loop's bound.
        foreach ($try in 1..200) {
            if ($Fresh.Process.HasExited -and @(ip netns exec $Remote.Namespace ss -Htn state established | Where-Object { $_ -notmatch ':22\s' }).Count -eq 0) { break }
            Start-Sleep -Milliseconds 100
        }
        ip link set $Remote.Veth up
        $run = Stop-FreshPwsh $Fresh -WaitSeconds 90
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Match 'ERRORID=(DataConnection\w+|Timeout|BrokenPipe|RemoteScriptFailed),'
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
        Wait-NoListener | Should -BeTrue
    }

    It 'fails with a clear error when the far pwsh is killed, leaving nothing on the host' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $script:Fresh = Start-SlowCopy $Source Encrypted
        Wait-Started $Fresh
        foreach ($id in Get-NamespaceProcessId $Remote.Namespace) {
            if ((Get-Content -LiteralPath "/proc/$id/comm" -ErrorAction Ignore) -eq 'pwsh') { kill -9 $id }
        }
        $run = Stop-FreshPwsh $Fresh -WaitSeconds 60
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Match 'ERRORID=(DataConnection\w+|BrokenPipe|RemoteScriptFailed),'
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
        Wait-NoListener | Should -BeTrue
    }

    It 'stops both ends on Ctrl+C, leaving no file, no listening port and no descriptor' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $body = @"
`$shell = [powershell]::Create()
`$null = `$shell.AddScript('Import-Module `$env:SPLICEMODULE_TEST_MODULE').Invoke()
`$shell.Commands.Clear()
# What the copy opens here: its source and sockets (pipes and the runtime's own files are left
# out: the commands that list the descriptors hold pipes until collected, the runtime maps its dlls).
`$before = @(find /proc/`$PID/fd -mindepth 1 -printf '%f>%l\n' 2>`$null | Where-Object { `$_ -match '>socket:' -or `$_ -like '*>$Source' })
`$null = `$shell.AddCommand('Copy-SpliceItem').AddParameter('LiteralPath', '$Source').AddParameter('Destination', `$HostRoot).AddParameter('ToSession', `$session).AddParameter('Transport', 'Plain')
`$running = `$shell.BeginInvoke()
foreach (`$try in 1..300) {
    # Read from /proc/net/tcp in this process: a command started here would hold pipes until collected.
    `$open = [Net.NetworkInformation.IPGlobalProperties]::GetIPGlobalProperties().GetActiveTcpConnections() |
        Where-Object { "`$(`$_.RemoteEndPoint.Address)" -eq '$($Remote.Address)' -and `$_.RemoteEndPoint.Port -ne 22 -and "`$(`$_.State)" -eq 'Established' }
    if (`$open) { break }
    Start-Sleep -Milliseconds 50
}
Start-Sleep -Milliseconds 500
`$watch.Restart()
`$shell.Stop()
"STOPPEDMS=`$(`$watch.ElapsedMilliseconds)"
"STATE=`$(`$shell.InvocationStateInfo.State)"
`$shell.Dispose()
[GC]::Collect(); [GC]::WaitForPendingFinalizers()
`$after = @(find /proc/`$PID/fd -mindepth 1 -printf '%f>%l\n' 2>`$null | Where-Object { `$_ -match '>socket:' -or `$_ -like '*>$Source' })
"FDDELTA=`$(`$after.Count - `$before.Count)"
"NEWFDS=`$(Compare-Object `$before `$after | Where-Object SideIndicator -EQ '=>' | ForEach-Object InputObject)"
`$failed = @()
"@
        $script:Fresh = Start-SlowCopy $Source Plain $body
        $run = Stop-FreshPwsh $Fresh -WaitSeconds 60
        $run.TimedOut | Should -BeFalse
        $run.Output | Should -Match 'STATE=Stopped'
        [int]($run.Output | Select-String 'STOPPEDMS=(\d+)').Matches[0].Groups[1].Value | Should -BeLessThan 5000 -Because 'the stop does not wait for the far end'
        [int]($run.Output | Select-String 'FDDELTA=(-?\d+)').Matches[0].Groups[1].Value | Should -BeLessOrEqual 0 -Because $run.Output
        Get-ChildItem -LiteralPath $Remote.Root -Force | Should -BeNullOrEmpty
        Wait-NoListener | Should -BeTrue
    }

    It 'copies byte-identical through delay and packet loss (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($NetemSkip) { Set-ItResult -Skipped -Because $NetemSkip; return }
        tc qdisc replace dev $Remote.Veth root netem delay 20ms 5ms loss 2%
        $source = New-TestFile (Join-Path $TestDrive "lossy-$Transport.bin") (4MB + 1)
        Invoke-WithSession "Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination `$HostRoot -ToSession `$session -Transport $Transport; 'ok'" | Should -Be 'ok'
        Get-Sha (Join-Path $Remote.Root $source.Name) | Should -Be (Get-Sha $source.FullName)
    }
}

Describe 'Copy-SpliceItem -ToSession to several hosts at once' {
    BeforeAll {
        $script:Others = @()
        if ($SkipReason) { return }
        # The second extra host's directory is a tiny tmpfs: a copy there runs out of space.
        $script:Others = @((Start-RemoteHost -Label fa), (Start-RemoteHost -Label fb -RootSize 256k))
    }

    BeforeEach { Reset-RemoteHost (@($Remote) + $Others) }

    AfterAll {
        Stop-RemoteHost $Others
    }

    It 'sends one file to every host at once; a host that fails is an error for that host only' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive 'fan.bin') (2MB + 5)
        $all = @($Remote) + $Others
        $result = Invoke-FreshPwsh -Json -TimeoutSeconds 120 -Environment @{
            SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE
            SM_HOSTS = ConvertTo-Json -Compress @($all | Select-Object Address, KeyFile, KnownHosts)
        } -Script @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
`$PSStyle.OutputRendering = 'PlainText'
`$sessions = @(foreach (`$h in (`$env:SM_HOSTS | ConvertFrom-Json)) { New-PSSession -HostName `$h.Address -UserName root -KeyFilePath `$h.KeyFile -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = `$h.KnownHosts; BatchMode = 'yes'; LogLevel = 'ERROR' } -ErrorAction Stop })
try {
    `$copied = @(Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Remote.SharedRoot)' -ToSession `$sessions -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue)
    @{ Copied = @(`$copied | ForEach-Object PSComputerName); Failed = @(`$failed | ForEach-Object { "`$(`$_.FullyQualifiedErrorId)|`$(`$_.Exception.Message)" }) }
}
finally { `$sessions | Remove-PSSession }
"@
        @($result.Copied | Sort-Object) | Should -Be @(@($Remote, $Others[0]) | ForEach-Object Address | Sort-Object)
        @($result.Failed).Count | Should -Be 1
        $result.Failed[0] | Should -BeLike "SystemCallFailed,*|On '$($Others[1].Address)':*"
        foreach ($h in $Remote, $Others[0]) { Get-Sha (Join-Path $h.Root 'fan.bin') | Should -Be (Get-Sha $source.FullName) }
        Get-ChildItem -LiteralPath $Others[1].Root -Force | Should -BeNullOrEmpty -Because 'the host that ran out of space keeps nothing of the copy'
    }

    It 'copies once to a session named twice, and counts one copy for each host (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-TestFile (Join-Path $TestDrive "twice-$Transport.bin") 70000
        $result = Invoke-FreshPwsh -Json -TimeoutSeconds 120 -Environment @{
            SPLICEMODULE_TEST_MODULE = $env:SPLICEMODULE_TEST_MODULE
            SM_HOSTS = ConvertTo-Json -Compress @(@($Remote, $Others[0]) | Select-Object Address, KeyFile, KnownHosts)
        } -Script @"
Import-Module `$env:SPLICEMODULE_TEST_MODULE
`$PSStyle.OutputRendering = 'PlainText'
`$sessions = @(foreach (`$h in (`$env:SM_HOSTS | ConvertFrom-Json)) { New-PSSession -HostName `$h.Address -UserName root -KeyFilePath `$h.KeyFile -Options @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = `$h.KnownHosts; BatchMode = 'yes'; LogLevel = 'ERROR' } -ErrorAction Stop })
try {
    `$out = @(Copy-SpliceItem -LiteralPath '$($source.FullName)' -Destination '$($Remote.SharedRoot)' -ToSession `$sessions[0], `$sessions[1], `$sessions[0] -Transport $Transport -PassThru -Summary -ErrorVariable failed -ErrorAction SilentlyContinue)
    `$summary = `$out | Where-Object { `$_ -is [SpliceModule.SpliceCopySummary] }
    @{ Copied = @(`$out | Where-Object { `$_ -isnot [SpliceModule.SpliceCopySummary] } | ForEach-Object PSComputerName); Failed = @(`$failed | ForEach-Object FullyQualifiedErrorId); Counted = "`$(`$summary.Copied) `$(`$summary.BytesCopied)" }
}
finally { `$sessions | Remove-PSSession }
"@
        @($result.Copied | Sort-Object) | Should -Be @(@($Remote, $Others[0]) | ForEach-Object Address | Sort-Object)
        $result.Failed | Should -BeNullOrEmpty
        $result.Counted | Should -Be "2 $(2 * 70000)"
        foreach ($h in $Remote, $Others[0]) { Get-Sha (Join-Path $h.Root $source.Name) | Should -Be (Get-Sha $source.FullName) }
    }
}
