BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    # Why these tests cannot run here, or $null when they can (root, mkfs.xfs, loop devices).
    $script:SkipReason = if ((id -u) -ne '0') { 'loop mounts need root' }
    elseif (-not (Get-Command mkfs.xfs -ErrorAction Ignore)) { 'mkfs.xfs is missing (apt-get install xfsprogs; .ci/run does)' }
    elseif (-not (Test-Path /dev/loop-control)) { 'this system has no loop devices (/dev/loop-control)' }
}

Describe 'Reflinks on a loop-mounted XFS image' {
    BeforeAll {
        if ($SkipReason) { return }
        $script:Image = Join-Path $TestDrive 'xfs.img'
        $script:Mount = Join-Path $TestDrive 'xfs'
        New-Item -ItemType Directory -Path $Mount | Out-Null
        truncate -s 1G $Image
        mkfs.xfs -q -m reflink=1 $Image
        if ($LASTEXITCODE -ne 0) { throw "mkfs.xfs failed ($LASTEXITCODE)" }
        mount -o loop $Image $Mount
        if ($LASTEXITCODE -ne 0) { throw "mount -o loop failed ($LASTEXITCODE)" }
        $script:Mounted = $true

        function Get-UsedBytes { sync; [long]((df -B1 --output=used $Mount)[1].Trim()) }

        $script:Source = Join-Path $Mount 'big.bin'
        bash -c "head -c 256M /dev/urandom > '$Source'"
        (Get-Item $Source).Length | Should -Be 256MB
    }

    AfterAll {
        if ($script:Mounted) {
            foreach ($try in 1..5) {
                umount $Mount 2>$null
                if ($LASTEXITCODE -eq 0) { break }
                Start-Sleep -Milliseconds 500
            }
        }
        # mount -o loop sets autoclear; detach explicitly whatever is still attached to the image.
        if ($script:Image) {
            foreach ($line in @(losetup -j $Image 2>$null)) { losetup -d ($line -split ':')[0] }
        }
    }

    It 'Get-SpliceCapability -Path reports xfs and working reflinks' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $cap = Get-SpliceCapability -Path $Mount
        $cap.FileSystem | Should -Be 'xfs'
        $cap.Reflink | Should -BeTrue
    }

    It 'Auto copies 256 MiB by Reflink, byte-identical, using almost no new blocks' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $before = Get-UsedBytes
        $copy = Copy-SpliceItem -LiteralPath $Source -Destination (Join-Path $Mount 'auto.bin') -PassThru
        $after = Get-UsedBytes

        $copy.CopyMethod | Should -Be 'Reflink'
        $copy.BytesCopied | Should -Be 256MB
        cmp -- $Source $copy.FullName
        $LASTEXITCODE | Should -Be 0
        ($after - $before) | Should -BeLessThan 8MB -Because "a reflink shares the source's extents (df grew by $($after - $before) bytes)"
    }

    It 'reserves no blocks for a reflink copy, which shares its source''s; a copy off XFS reserves them once it writes bytes' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if (-not (Get-Command strace -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'strace is not installed (apt-get install strace; .ci/run does)'; return }
        Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
        $log = Join-Path $TestDrive 'reflink-calls.log'
        $offXfs = Join-Path $TestDrive 'off-xfs-reserved.bin'
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Wrapper strace, '-f', '-qq', '-e', 'trace=fallocate,ioctl', '-o', $log -ArgumentList $Source, (Join-Path $Mount 'traced.bin'), $offXfs -Script @"
param([string] `$Source, [string] `$Reflinked, [string] `$Copied)
`$ErrorActionPreference = 'Stop'
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
(Copy-SpliceItem -LiteralPath `$Source -Destination `$Reflinked -PassThru).CopyMethod
'---'
(Copy-SpliceItem -LiteralPath `$Source -Destination `$Copied -PassThru).CopyMethod
"@
        $run.ExitCode | Should -Be 0 -Because "$($run.Output) $($run.Error)"
        $methods = @($run.Output -split "`n" | ForEach-Object Trim | Where-Object { $_ })
        $methods[0] | Should -Be 'Reflink'
        $methods[2] | Should -Not -Be 'Reflink'
        $calls = @(Get-Content -LiteralPath $log)
        $clones = @($calls | Where-Object { $_ -match 'FICLONE' })
        $clones.Count | Should -Be 2 -Because 'each copy tries a reflink first'
        $reserves = @($calls | Where-Object { $_ -match '\bfallocate\(' })
        $reserves.Count | Should -Be 1 -Because ($calls -join "`n")
        [array]::IndexOf($calls, $reserves[0]) | Should -BeGreaterThan ([array]::IndexOf($calls, $clones[1])) -Because 'only the copy whose reflink failed reserves, after that failure'
        cmp -- $Source $offXfs
        $LASTEXITCODE | Should -Be 0
        Remove-Item -LiteralPath $offXfs, (Join-Path $Mount 'traced.bin')
    }

    It '-Method Reflink works there too, also for an empty file' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        (Copy-SpliceItem -LiteralPath $Source -Destination (Join-Path $Mount 'forced.bin') -Method Reflink -PassThru).CopyMethod | Should -Be 'Reflink'
        $empty = Join-Path $Mount 'empty.bin'
        Set-Content -LiteralPath $empty -Value $null -NoNewline
        $copy = Copy-SpliceItem -LiteralPath $empty -Destination (Join-Path $Mount 'empty-copy.bin') -Method Reflink -PassThru
        $copy.CopyMethod | Should -Be 'Reflink'
        $copy.Length | Should -Be 0
    }

    It 'keeps mode and modification time on a reflink copy' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $file = Join-Path $Mount 'meta.bin'
        bash -c "head -c 100000 /dev/urandom > '$file'"
        chmod 640 $file
        touch -d '2010-05-06 07:08:09' $file
        $copy = Copy-SpliceItem -LiteralPath $file -Destination (Join-Path $Mount 'meta-copy.bin') -PassThru
        $copy.CopyMethod | Should -Be 'Reflink'
        stat -c '%a %Y' $copy.FullName | Should -Be (stat -c '%a %Y' $file)
    }

    It 'Auto falls back from XFS to another file system (no reflink across devices) with the same bytes' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $target = Join-Path $TestDrive 'off-xfs.bin'
        $copy = Copy-SpliceItem -LiteralPath $Source -Destination $target -PassThru
        $copy.CopyMethod | Should -Not -Be 'Reflink'
        $copy.CopyMethod | Should -BeIn @('CopyFileRange', 'Splice')
        cmp -- $Source $target
        $LASTEXITCODE | Should -Be 0
        Remove-Item -LiteralPath $target
    }

    It '-Method Reflink across devices is MethodNotSupported and leaves nothing' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $target = Join-Path $TestDrive 'cross.bin'
        Copy-SpliceItem -LiteralPath $Source -Destination $target -Method Reflink -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be 'MethodNotSupported,SpliceModule.Commands.CopySpliceItemCommand'
        $failure[0].Exception.Message | Should -Match 'EXDEV'
        Test-Path $target | Should -BeFalse
    }
}
