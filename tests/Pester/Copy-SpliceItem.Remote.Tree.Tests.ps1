# Copy-SpliceItem -Recurse -ToSession / -FromSession: a directory tree as one stream, to and from
# a real OpenSSH host in a network namespace (Support/RemoteHosts.psm1), every transport. Copies
# are compared with their source item by item (kind, mode, times, size, link target, SHA-256), as
# cp -a would keep them; holes stay holes; a symbolic link planted in the far destination is never
# written through; an item the sending user cannot read is an error naming it while the rest
# arrives; Ctrl+C leaves no half-written file and no listening port.
BeforeDiscovery {
    $script:Transports = @('Plain', 'Encrypted', 'Session') | ForEach-Object { @{ Transport = $_ } }
    . (Join-Path $PSScriptRoot 'Support/Unprivileged.ps1')
    $script:UnprivilegedSkip = Get-UnprivilegedSkipReason
    . (Join-Path $PSScriptRoot 'Support/StandingDestinations.ps1')
    $script:BothWays = Get-BothWaysCase
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1') -Force
    . (Join-Path $PSScriptRoot 'Support/Unprivileged.ps1')
    $script:SkipReason = Get-RemoteHostSkipReason
    $script:Remote = $null
    if (-not $SkipReason) { $script:Remote = Start-RemoteHost -Label tree }
    $script:Support = Join-Path $PSScriptRoot 'Support/RemoteHosts.psm1'

    # Runs $Body in a fresh pwsh that has the built module and $session to the test host; returns
    # what $Body returns (through JSON).
    function Invoke-Tree([string] $Body, [int] $TimeoutSeconds = 120) {
        $run = New-RemoteSessionRun $Remote $Body
        Invoke-FreshPwsh -Json -TimeoutSeconds $TimeoutSeconds @run
    }

    # A tree with what a copy must keep: nested and empty directories, small files and one past
    # the buffered path, an empty file, a sparse image, links (one dangling), modes and old times.
    function New-SourceTree([string] $Root) {
        New-Item -ItemType Directory -Path "$Root/sub/deeper", "$Root/empty-dir" | Out-Null
        foreach ($i in 1..30) { [IO.File]::WriteAllBytes("$Root/sub/f$i.bin", [byte[]](1..(4096 + $i) | ForEach-Object { ($_ * $i) % 251 })) }
        $big = [byte[]]::new(1MB + 3)
        [Random]::new(7).NextBytes($big)
        [IO.File]::WriteAllBytes("$Root/sub/deeper/big.bin", $big)
        New-Item -ItemType File -Path "$Root/empty.txt" | Out-Null
        truncate -s 8M "$Root/sparse.img"
        bash -c "printf middle | dd of='$Root/sparse.img' bs=1 seek=4000000 conv=notrunc status=none"
        ln -s sub/f1.bin "$Root/link-to-f1"
        ln -s /nonexistent/target "$Root/dangling"
        chmod 600 "$Root/sub/f2.bin"
        chmod 640 "$Root/sub/deeper/big.bin"
        touch -h -d '2001-02-03 04:05:06.789' "$Root/link-to-f1"
        touch -d '2002-03-04 05:06:07.891' "$Root/sub/f3.bin" "$Root/sub/deeper" "$Root/empty-dir"
        chmod 750 "$Root/sub"
        chmod 700 "$Root/empty-dir"
        touch -d '2003-04-05 06:07:08.5' "$Root/sub" "$Root"
    }

    # Each item below $Root (the root too): path, kind, mode, size of files, mtime, link target,
    # owner, SHA-256 of files.
    function Get-TreeFact([string] $Root) {
        @(find $Root -printf '%P|%y|%m|%s|%T@|%l|%U:%G\n' | Sort-Object | ForEach-Object {
                $f = $_ -split '\|'
                if ($f[1] -ne 'f') { $f[3] = '' }
                $hash = if ($f[1] -eq 'f') { (Get-FileHash -LiteralPath (Join-Path $Root $f[0]) -Algorithm SHA256).Hash } else { '' }
                ($f + $hash) -join '|'
            })
    }


    # Temporary files or anything else a copy must not leave.
    function Get-Temporary([string] $Root) { @(Get-ChildItem -LiteralPath $Root -Recurse -Force -Filter '*.splicetmp' | ForEach-Object FullName) }

    function Get-ExtraListener { @(ip netns exec $Remote.Namespace ss -Hltn | Where-Object { $_ -and $_ -notmatch ':22\s' }) }
}

AfterAll {
    Stop-RemoteHost $Remote
}

Describe 'Copy-SpliceItem -Recurse with sessions' {
    BeforeEach { Reset-RemoteHost $Remote }

    It 'sends a tree as it is (modes, times, links, holes) into an existing directory under its own name (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive "to-$Transport"
        New-SourceTree $source
        $result = Invoke-Tree @"
`$items = @(Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -Transport $Transport -PassThru -ErrorVariable failed)
@{ Count = `$items.Count; Computers = @(`$items | ForEach-Object PSComputerName | Sort-Object -Unique); Names = @(`$items | ForEach-Object FullName); Failed = `$failed.Count }
"@
        $copy = Join-Path $Remote.Root "to-$Transport"
        Get-TreeFact $copy | Should -Be (Get-TreeFact $source)
        Get-Allocated "$copy/sparse.img" | Should -BeLessThan 1MB -Because 'holes are not sent and stay holes'
        $result.Failed | Should -Be 0
        $result.Count | Should -Be (Get-TreeFact $source).Count -Because 'every item made is passed through'
        $result.Computers | Should -Be $Remote.Address
        $result.Names | Should -Contain "$copy/sub/deeper/big.bin"
        Get-Temporary $Remote.Root | Should -BeNullOrEmpty
        Get-ExtraListener | Should -BeNullOrEmpty -Because 'the data listener closes when the copy ends'
    }

    It 'fetches a tree as it is into an existing directory under its own name (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $Remote.Root "from-$Transport"
        New-SourceTree $source
        $local = Join-Path $TestDrive "fetched-$Transport"
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-Tree @"
`$items = @(Copy-SpliceItem -Recurse -Path '$source' -Destination '$local' -FromSession `$session -Transport $Transport -PassThru -ErrorVariable failed)
@{ Count = `$items.Count; Failed = `$failed.Count }
"@
        $copy = Join-Path $local "from-$Transport"
        Get-TreeFact $copy | Should -Be (Get-TreeFact $source)
        Get-Allocated "$copy/sparse.img" | Should -BeLessThan 1MB
        $result.Failed | Should -Be 0
        $result.Count | Should -Be (Get-TreeFact $source).Count
        Get-Temporary $local | Should -BeNullOrEmpty
    }

    It 'makes the destination itself when it does not exist, either way, and resolves wildcards where the files are' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive 'named'
        New-SourceTree $source
        foreach ($name in 'logs-a', 'logs-b') { New-SourceTree (Join-Path $Remote.Root $name) }
        $local = Join-Path $TestDrive 'globbed'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-Tree @"
Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)/renamed' -ToSession `$session
Copy-SpliceItem -Recurse -Path '$($Remote.Root)/renamed' -Destination '$TestDrive/back' -FromSession `$session
Copy-SpliceItem -Recurse -Path '$($Remote.Root)/logs-*', '$($Remote.Root)/none-*' -Destination '$local' -FromSession `$session -ErrorVariable failed
`$failed.Count
"@
        $result | Should -Be 0
        Get-TreeFact (Join-Path $Remote.Root 'renamed') | Should -Be (Get-TreeFact $source)
        Get-TreeFact (Join-Path $TestDrive 'back') | Should -Be (Get-TreeFact $source)
        @(Get-ChildItem -LiteralPath $local -Name | Sort-Object) | Should -Be @('logs-a', 'logs-b')
        Get-TreeFact (Join-Path $local 'logs-b') | Should -Be (Get-TreeFact (Join-Path $Remote.Root 'logs-b'))
    }

    It 'takes only what -Filter and -Exclude leave, walked on the side that holds the tree, either way' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive 'filtered'
        New-SourceTree $source
        New-SourceTree (Join-Path $Remote.Root 'far-filtered')
        Invoke-Tree @"
Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)/to' -ToSession `$session -Filter 'f1*' -Exclude 'deeper', 'f12*' -ErrorAction Stop
Copy-SpliceItem -Recurse -Path '$($Remote.Root)/far-filtered' -Destination '$TestDrive/filtered-back' -FromSession `$session -Filter 'f1*' -Exclude 'deeper', 'f12*' -ErrorAction Stop
'ok'
"@ | Should -Be 'ok'
        $expected = @('empty-dir', 'sub', 'sub/f1.bin', 'sub/f10.bin', 'sub/f11.bin', 'sub/f13.bin', 'sub/f14.bin', 'sub/f15.bin', 'sub/f16.bin', 'sub/f17.bin', 'sub/f18.bin', 'sub/f19.bin')
        foreach ($copy in "$($Remote.Root)/to", "$TestDrive/filtered-back") {
            @(find $copy -mindepth 1 -printf '%P\n' | Sort-Object) | Should -Be @($expected | Sort-Object)
        }
    }

    It 'never writes through a symbolic link planted in the far destination (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive "planted-$Transport/tree"
        New-Item -ItemType Directory -Path "$source/sub" | Out-Null
        Set-Content -LiteralPath "$source/top.txt" -Value 'new top'
        Set-Content -LiteralPath "$source/sub/inner.txt" -Value 'new inner'
        $victim = Join-Path $TestDrive "victim-$Transport"
        New-Item -ItemType Directory -Path $victim | Out-Null
        Set-Content -LiteralPath "$victim/file.txt" -Value 'victim'
        New-Item -ItemType Directory -Path "$($Remote.Root)/tree" | Out-Null
        ln -s $victim "$($Remote.Root)/tree/sub"
        ln -s "$victim/file.txt" "$($Remote.Root)/tree/top.txt"
        $result = Invoke-Tree @"
Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -Transport $Transport -ErrorVariable failed -ErrorAction SilentlyContinue
@(`$failed | ForEach-Object { "`$(`$_.FullyQualifiedErrorId)|`$(`$_.TargetObject)|`$(`$_.Exception.Message)" })
"@
        @($result).Count | Should -Be 1
        $result | Should -BeLike "DestinationIsSymlink,SpliceModule.Commands.CopySpliceItemCommand|$source/sub|On '$($Remote.Address)':*"
        @(Get-ChildItem -LiteralPath $victim -Name) | Should -Be @('file.txt') -Because 'nothing was written into the directory the link points to'
        Get-Content -LiteralPath "$victim/file.txt" | Should -Be 'victim'
        (Get-Item -LiteralPath "$($Remote.Root)/tree/top.txt").LinkType | Should -BeNullOrEmpty -Because 'the link was replaced by the file, not written through'
        Get-Content -LiteralPath "$($Remote.Root)/tree/top.txt" | Should -Be 'new top'
    }

    It 'counts the files, bytes and directories of a tree in -Summary as a local copy does, either way, with every transport' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        New-SourceTree (Join-Path $TestDrive 'counted')
        $result = Invoke-Tree @"
`$here = Copy-SpliceItem -Recurse -LiteralPath '$TestDrive/counted' -Destination '$TestDrive/counted-here' -Summary -ErrorAction Stop
foreach (`$transport in 'Encrypted', 'Plain', 'Session') {
    foreach (`$s in (Copy-SpliceItem -Recurse -LiteralPath '$TestDrive/counted' -Destination "$($Remote.Root)/to-`$transport" -ToSession `$session -Transport `$transport -Summary -ErrorAction Stop),
        (Copy-SpliceItem -Recurse -Path "$($Remote.Root)/to-`$transport" -Destination "$TestDrive/back-`$transport" -FromSession `$session -Transport `$transport -Summary -ErrorAction Stop), `$here) {
        "`$(`$s.Copied) `$(`$s.BytesCopied) `$(`$s.Directories) `$(`$s.Failed)"
    }
}
"@
        $result.Count | Should -Be 9
        $result[2] | Should -Not -BeLike '0 *'
        $result | Sort-Object -Unique | Should -Be $result[2] -Because 'each way and transport counts what a local copy counts'
    }

    It 'writes nothing with -WhatIf, either way' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive 'whatif'
        New-SourceTree $source
        New-SourceTree (Join-Path $Remote.Root 'far')
        $local = Join-Path $TestDrive 'whatif-back'
        New-Item -ItemType Directory -Path $local | Out-Null
        Invoke-Tree @"
Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -WhatIf 6>`$null
Copy-SpliceItem -Recurse -Path '$($Remote.Root)/far' -Destination '$local' -FromSession `$session -WhatIf 6>`$null
'ok'
"@ | Should -Be 'ok'
        @(Get-ChildItem -LiteralPath $Remote.Root -Name) | Should -Be @('far')
        Get-ChildItem -LiteralPath $local -Force | Should -BeNullOrEmpty
    }

    It 'checks each file against the SHA-256 the sending side read, with -Verify (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive "verify-$Transport"
        New-SourceTree $source
        $result = Invoke-Tree @"
@(Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -Transport $Transport -Verify -PassThru | Where-Object Sha256 | ForEach-Object { "`$(`$_.FullName)|`$(`$_.Sha256)" })
"@
        $expected = @(Get-ChildItem -LiteralPath $source -Recurse -File -Force | Where-Object { -not $_.LinkType } | ForEach-Object {
                "$($_.FullName.Replace($source, (Join-Path $Remote.Root "verify-$Transport")))|$((Get-FileHash -LiteralPath $_.FullName -Algorithm SHA256).Hash)"
            })
        @($result | Sort-Object) | Should -Be @($expected | Sort-Object)
    }

    It 'keeps hard links of the tree as hard links with -Preserve All, either way' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive 'linked'
        New-Item -ItemType Directory -Path "$source/a", "$source/b" | Out-Null
        Set-Content -LiteralPath "$source/a/one" -Value 'shared'
        ln "$source/a/one" "$source/b/two"
        ln "$source/a/one" "$source/three"
        Set-Content -LiteralPath "$source/alone" -Value 'alone'
        Invoke-Tree @"
Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -Preserve All -ErrorAction Stop
Copy-SpliceItem -Recurse -Path '$($Remote.Root)/linked' -Destination '$TestDrive/linked-back' -FromSession `$session -Preserve All -ErrorAction Stop
'ok'
"@ | Should -Be 'ok'
        foreach ($copy in (Join-Path $Remote.Root 'linked'), (Join-Path $TestDrive 'linked-back')) {
            $inodes = @('a/one', 'b/two', 'three') | ForEach-Object { stat -c '%i' (Join-Path $copy $_) } | Sort-Object -Unique
            @($inodes).Count | Should -Be 1 -Because "the three names in $copy are one file, as in the source"
            stat -c '%h' (Join-Path $copy 'three') | Should -Be 3
            stat -c '%h' (Join-Path $copy 'alone') | Should -Be 1
            Get-TreeFact $copy | Should -Be (Get-TreeFact $source)
        }
    }
}

Describe 'Copy-SpliceItem -Recurse with sessions into a tree that has things standing in it' {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'Support/StandingDestinations.ps1')
        $script:Owner = if (-not $SkipReason) { New-StandingOwner }
    }

    AfterAll { Remove-StandingOwner $Owner }

    BeforeEach { Reset-RemoteHost $Remote }

    It 'writes a FIFO and a device in place and keeps the owner and mode of a file it replaces, as a local tree copy does (<Direction>, <Transport>)' -TestCases $BothWays {
        param($Direction, $Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $ends = Get-Ends $Direction "standing-$Direction-$Transport" $TestDrive $Remote.Root
        $from, $into = $ends.From, $ends.Into
        New-Item -ItemType Directory -Path "$from/t", "$into/t" | Out-Null
        $null = New-TestFile "$from/t/kept.txt" 5000
        chmod 640 "$from/t/kept.txt"
        $null = New-TestFile "$from/t/null" 3000 -Seed 2
        $payload = New-HoledFile "$from/t/fifo"
        New-ForeignFile "$into/t/kept.txt" $Owner '604'
        New-NullNode "$into/t/null"
        $read = Join-Path $TestDrive "read-$Direction-$Transport"
        $reader = Start-FifoReader "$into/t/fifo" $read
        try {
            $result = Invoke-Tree @"
Copy-SpliceItem -Recurse -LiteralPath '$from/t' -Destination '$into' -$Direction `$session -Transport $Transport -ErrorVariable failed
@(`$failed | ForEach-Object { "`$(`$_.FullyQualifiedErrorId): `$(`$_.Exception.Message)" })
"@
        }
        finally {
            $ended = Stop-FifoReader $reader
        }
        $result | Should -BeNullOrEmpty
        Get-NodeFact "$into/t/null" | Should -Be 'character special file 1:3' -Because 'a device at a file''s name is written, not replaced'
        stat -c '%F' -- "$into/t/fifo" | Should -Be 'fifo'
        $ended | Should -BeTrue -Because 'the copy closes the FIFO once the file is through'
        Get-Sha $read | Should -Be (Get-Sha $payload.FullName) -Because 'the reader gets every byte, the hole as zeros'
        Get-Sha "$into/t/kept.txt" | Should -Be (Get-Sha "$from/t/kept.txt")
        Get-OwnerFact "$into/t/kept.txt" | Should -Be "$($Owner.Uid):$($Owner.Gid) 604" -Because 'a replaced file keeps who may read it, as a local copy keeps it'
        @(Get-ChildItem -LiteralPath "$into/t" -Force -Name | Sort-Object) | Should -Be @('fifo', 'kept.txt', 'null')
        Get-ExtraListener | Should -BeNullOrEmpty
    }
}

Describe 'Copy-SpliceItem -Recurse with sessions: trees of /proc and /sys, whose sizes are not their files'' lengths' {
    BeforeAll {
        # Directories of small files whose content is the same at every read: /proc reports size 0, /sys a page.
        $script:PseudoTrees = @('/proc/sys/fs/inotify', '/sys/devices/system/cpu/cpu0/topology') | Where-Object { Test-Path -LiteralPath $_ }
        # Each file below $Root: its path and content.
        function Get-ContentFact([string] $Root) {
            @(Get-ChildItem -LiteralPath $Root -Recurse -File | Sort-Object FullName | ForEach-Object {
                    "$([IO.Path]::GetRelativePath($Root, $_.FullName))|$((Get-Content -Raw -LiteralPath $_.FullName) -replace '\s+$')"
                })
        }
    }

    BeforeEach { Reset-RemoteHost $Remote }

    It 'sends every file''s whole content, checked with -Verify, either way (<Transport>)' -TestCases $Transports {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $PseudoTrees.Count | Should -BeGreaterOrEqual 1
        $local = Join-Path $TestDrive "pseudo-$Transport"
        New-Item -ItemType Directory -Path $local | Out-Null
        $list = ($PseudoTrees | ForEach-Object { "'$_'" }) -join ', '
        $result = Invoke-Tree @"
foreach (`$path in $list) {
    Copy-SpliceItem -Recurse -LiteralPath `$path -Destination "$($Remote.Root)/to-`$(Split-Path -Leaf `$path)" -ToSession `$session -Transport $Transport -Verify -ErrorVariable +failed
    Copy-SpliceItem -Recurse -Path `$path -Destination "$local/from-`$(Split-Path -Leaf `$path)" -FromSession `$session -Transport $Transport -Verify -ErrorVariable +failed
}
@(`$failed | ForEach-Object { "`$_" })
"@
        $result | Should -BeNullOrEmpty
        foreach ($path in $PseudoTrees) {
            $name = Split-Path -Leaf $path
            $expected = Get-ContentFact $path
            $expected.Count | Should -BeGreaterThan 0
            $expected | Where-Object { $_ -match '\|$' } | Should -BeNullOrEmpty -Because "every file of $path has content"
            Get-ContentFact (Join-Path $Remote.Root "to-$name") | Should -Be $expected -Because "-ToSession sends all of each file of $path"
            Get-ContentFact (Join-Path $local "from-$name") | Should -Be $expected -Because "-FromSession fetches all of each file of $path"
        }

        Get-Temporary $Remote.Root | Should -BeNullOrEmpty
        Get-Temporary $local | Should -BeNullOrEmpty
    }
}

Describe 'Copy-SpliceItem -Recurse -PassThru with sessions: how each file went' {
    BeforeEach { Reset-RemoteHost $Remote }

    # Plain sends content of 64 KiB or more by sendfile and splices it into the file; smaller
    # content, and every file of the other transports, goes through a buffer (read, write).
    It 'names how this side sent each file, and the host, with -ToSession (<Transport>)' -TestCases @(
        @{ Transport = 'Plain'; Large = 'SendFile' }, @{ Transport = 'Encrypted'; Large = 'ReadWrite' }, @{ Transport = 'Session'; Large = 'ReadWrite' }
    ) {
        param($Transport, $Large)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive "methods-to-$Transport"
        New-SourceTree $source
        $result = Invoke-Tree @"
@(Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -Transport $Transport -PassThru -ErrorAction Stop | ForEach-Object { "`$(`$_.FullName)|`$(`$_.CopyMethod)|`$(`$_.PSComputerName)" })
"@
        $copy = Join-Path $Remote.Root "methods-to-$Transport"
        $result | Should -Contain "$copy/sub/deeper/big.bin|$Large|$($Remote.Address)"
        $result | Should -Contain "$copy/sub/f1.bin|ReadWrite|$($Remote.Address)"
        $result | Should -Contain "$copy/empty.txt|ReadWrite|$($Remote.Address)"
        $result | Should -Contain "$copy/sub||$($Remote.Address)" -Because 'a directory is not sent as content'
        $result | Should -Contain "$copy/link-to-f1||$($Remote.Address)"
    }

    It 'shows each item sent with the length a local copy shows (a sparse file''s whole length, a link''s own)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive 'lengths-to'
        New-SourceTree $source
        $result = Invoke-Tree @"
`$far = @(Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -Transport Plain -PassThru -ErrorAction Stop | Where-Object { -not (Test-Path -LiteralPath `$_.FullName -PathType Container) } | ForEach-Object { "`$(`$_.Name)|`$(`$_.Length)" })
`$here = @(Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$TestDrive/lengths-here' -PassThru -ErrorAction Stop | Where-Object { -not `$_.PSIsContainer } | ForEach-Object { "`$(`$_.Name)|`$(`$_.Length)" })
@{ Far = `$far; Here = `$here }
"@
        $result.Far | Should -Contain "sparse.img|$((Get-Item -LiteralPath "$source/sparse.img").Length)"
        $result.Far | Should -Contain ($result.Here | Where-Object { $_ -like 'link-to-f1|*' })
        @($result.Far | Sort-Object) | Should -Be @($result.Here | Sort-Object)
    }

    It 'names how this side wrote each file with -FromSession, as a local copy does (<Transport>)' -TestCases @(
        @{ Transport = 'Plain'; Large = 'Splice' }, @{ Transport = 'Encrypted'; Large = 'ReadWrite' }, @{ Transport = 'Session'; Large = 'ReadWrite' }
    ) {
        param($Transport, $Large)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $Remote.Root "methods-from-$Transport"
        New-SourceTree $source
        $local = Join-Path $TestDrive "methods-back-$Transport"
        $result = Invoke-Tree @"
@(Copy-SpliceItem -Recurse -Path '$source' -Destination '$local' -FromSession `$session -Transport $Transport -PassThru -ErrorAction Stop | Where-Object CopyMethod | ForEach-Object { "`$(`$_.FullName)|`$(`$_.CopyMethod)" })
"@
        $result | Should -Contain "$local/sub/deeper/big.bin|$Large"
        $result | Should -Contain "$local/sub/f1.bin|ReadWrite"
        @($result).Count | Should -Be 33 -Because 'each regular file (the 30 small ones, big.bin, empty.txt, sparse.img) and nothing else names its method'
    }
}

Describe 'Copy-SpliceItem -Recurse -ToSession as a user who cannot read every file' -Skip:([bool]$UnprivilegedSkip) {
    It 'copies the rest and reports the unreadable file by name' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        Reset-RemoteHost $Remote
        chmod 755 $TestDrive
        $source = Join-Path $TestDrive 'mixed'
        New-Item -ItemType Directory -Path "$source/inner" | Out-Null
        foreach ($name in 'a.txt', 'inner/b.txt', 'secret.txt') { Set-Content -LiteralPath (Join-Path $source $name) -Value $name }
        chown -R nobody $source
        chmod 000 "$source/secret.txt"
        # The user's own copies of the key and known hosts (ssh refuses a key others may read).
        $keys = Join-Path $TestDrive 'nobody-keys'
        New-Item -ItemType Directory -Path $keys | Out-Null
        Copy-Item -LiteralPath $Remote.KeyFile, $Remote.KnownHosts -Destination $keys -ErrorAction SilentlyContinue
        if (-not (Test-Path (Join-Path $keys 'known_hosts'))) { New-Item -ItemType File -Path (Join-Path $keys 'known_hosts') | Out-Null }
        chown -R nobody $keys
        chmod 600 (Join-Path $keys 'client_key')
        $hostInfo = $Remote | Select-Object Address, @{ n = 'KeyFile'; e = { Join-Path $keys 'client_key' } }, @{ n = 'KnownHosts'; e = { Join-Path $keys 'known_hosts' } } | ConvertTo-Json -Compress
        $script = @"
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
Import-Module '$Support'
`$PSStyle.OutputRendering = 'PlainText'
`$ProgressPreference = 'SilentlyContinue'
`$session = New-RemoteHostSession ('$hostInfo' | ConvertFrom-Json)
try {
    Copy-SpliceItem -Recurse -LiteralPath '$source' -Destination '$($Remote.Root)' -ToSession `$session -ErrorVariable failed -ErrorAction SilentlyContinue
    @(`$failed | ForEach-Object { "`$(`$_.FullyQualifiedErrorId)|`$(`$_.TargetObject)" })
}
finally { Remove-PSSession `$session }
"@
        $result = Invoke-PwshAsUser -User nobody -Root $TestDrive -Script $script -Json
        @($result) | Should -Be @("PermissionDenied,SpliceModule.Commands.CopySpliceItemCommand|$source/secret.txt")
        @(Get-ChildItem -LiteralPath "$($Remote.Root)/mixed" -Recurse -File -Force | ForEach-Object Name | Sort-Object) | Should -Be @('a.txt', 'b.txt')
        Get-Content -LiteralPath "$($Remote.Root)/mixed/inner/b.txt" | Should -Be 'inner/b.txt'
        Get-Temporary $Remote.Root | Should -BeNullOrEmpty
    }
}

Describe 'Ctrl+C during a remote tree copy' {
    BeforeEach { Reset-RemoteHost $Remote -Rate 16mbit }
    AfterEach { Reset-RemoteHost $Remote -LinksOnly }

    It 'stops a fetch on both ends, leaving only whole files here and no listening port' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $Remote.Root 'far-stopped'
        New-Item -ItemType Directory -Path "$source/d" | Out-Null
        foreach ($i in 1..6) { [IO.File]::WriteAllBytes("$source/d/part$i.bin", [byte[]]::new(4MB)) }
        $local = Join-Path $TestDrive 'fetch-stopped'
        New-Item -ItemType Directory -Path $local | Out-Null
        $result = Invoke-Tree @"
`$shell = [powershell]::Create()
`$null = `$shell.AddScript('Import-Module `$env:SPLICEMODULE_TEST_MODULE').Invoke()
`$shell.Commands.Clear()
`$null = `$shell.AddCommand('Copy-SpliceItem').AddParameter('Recurse').AddParameter('Path', '$source').AddParameter('Destination', '$local').AddParameter('FromSession', `$session).AddParameter('Transport', 'Plain')
`$running = `$shell.BeginInvoke()
foreach (`$try in 1..300) {
    if (Test-Path -LiteralPath '$local/far-stopped/d/part1.bin') { break }
    Start-Sleep -Milliseconds 50
}
`$shell.Stop()
`$listening = @(ss -Hltn | Where-Object { `$_ -match [regex]::Escape('$($Remote.LocalAddress):') })
"`$(`$shell.InvocationStateInfo.State)|`$(`$listening.Count)"
"@
        $result | Should -Be 'Stopped|0' -Because 'the stop ends the copy and closes the listener on this host'
        $files = @(Get-ChildItem -LiteralPath $local -Recurse -File -Force)
        $files.Count | Should -BeLessThan 6 -Because 'the copy was stopped before its end'
        foreach ($file in $files) {
            $file.Name | Should -Not -BeLike '*.splicetmp'
            (Get-FileHash -LiteralPath $file.FullName).Hash | Should -Be (Get-FileHash -LiteralPath "$source/d/$($file.Name)").Hash -Because 'a file is there whole or not at all'
        }
    }

    It 'stops both ends, leaving only whole files and no listening port (<Transport>)' -TestCases @(@{ Transport = 'Plain' }, @{ Transport = 'Encrypted' }) {
        param($Transport)
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = Join-Path $TestDrive "stopped-$Transport"
        New-Item -ItemType Directory -Path "$source/d" | Out-Null
        foreach ($i in 1..6) { [IO.File]::WriteAllBytes("$source/d/part$i.bin", [byte[]]::new(4MB)) }
        $result = Invoke-Tree @"
`$shell = [powershell]::Create()
`$null = `$shell.AddScript('Import-Module `$env:SPLICEMODULE_TEST_MODULE').Invoke()
`$shell.Commands.Clear()
`$null = `$shell.AddCommand('Copy-SpliceItem').AddParameter('Recurse').AddParameter('LiteralPath', '$source').AddParameter('Destination', '$($Remote.Root)').AddParameter('ToSession', `$session).AddParameter('Transport', '$Transport')
`$running = `$shell.BeginInvoke()
foreach (`$try in 1..300) {
    if (Test-Path -LiteralPath '$($Remote.Root)/stopped-$Transport/d/part1.bin') { break }
    Start-Sleep -Milliseconds 50
}
`$shell.Stop()
"`$(`$shell.InvocationStateInfo.State)"
"@
        $result | Should -Be 'Stopped'
        foreach ($file in Get-ChildItem -LiteralPath $Remote.Root -Recurse -File -Force) {
            $file.Name | Should -Not -BeLike '*.splicetmp'
            (Get-FileHash -LiteralPath $file.FullName).Hash | Should -Be (Get-FileHash -LiteralPath "$source/d/$($file.Name)").Hash -Because 'a file is there whole or not at all'
        }
        @(Get-ChildItem -LiteralPath "$($Remote.Root)/stopped-$Transport/d" -File).Count | Should -BeLessThan 6 -Because 'the copy was stopped before its end'
        $quiet = $false
        foreach ($try in 1..100) { if (@(Get-ExtraListener).Count -eq 0) { $quiet = $true; break }; Start-Sleep -Milliseconds 100 }
        $quiet | Should -BeTrue -Because 'no port is left listening on the far host'
    }
}
