# A large new file's blocks are reserved in one fallocate call (keeping its size) before its bytes
# are written; small files, sparse files and reflinks are not reserved, and a copy that does not
# fit fails as it always did. The calls are counted with strace around a fresh pwsh.
BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/TestFiles.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:NoStrace = if (-not (Get-Command strace -ErrorAction Ignore)) { 'strace is not installed (apt-get install strace; .ci/run does)' }
    $script:IsRoot = (id -u) -eq '0'

    # The fallocate and copy_file_range calls (strace lines, descriptors with their paths) of a
    # fresh pwsh that copies $Source to $Destination.
    function Get-CopyCalls([string] $Source, [string] $Destination) {
        $log = Join-Path $TestDrive "calls-$([guid]::NewGuid().ToString('N')).log"
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Wrapper strace, '-f', '-qq', '-y', '-e', 'trace=fallocate,copy_file_range', '-o', $log -ArgumentList $Source, $Destination -Script @"
param([string] `$Source, [string] `$Destination)
`$ErrorActionPreference = 'Stop'
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
Copy-SpliceItem -LiteralPath `$Source -Destination `$Destination
"@
        $run.ExitCode | Should -Be 0 -Because "$($run.Output) $($run.Error)"
        @(Get-Content -LiteralPath $log)
    }
}

Describe 'Copy-SpliceItem reserves the blocks of a large file before writing it' {
    It 'reserves a 24 MiB file in one call of its size, before the first byte, and the copy takes no more room than its source' {
        if ($NoStrace) { Set-ItResult -Skipped -Because $NoStrace; return }
        $source = (New-TestFile (Join-Path $TestDrive 'big.bin') 24MB -Seed 3).FullName
        $target = Join-Path $TestDrive 'big-copy.bin'

        $calls = Get-CopyCalls $source $target

        $reserves = @($calls | Where-Object { $_ -match '\bfallocate\(' })
        $reserves.Count | Should -Be 1 -Because ($calls -join "`n")
        $reserves[0] | Should -Match "fallocate\(\d+<$([regex]::Escape($TestDrive))/[^>]*>(\(deleted\))?, FALLOC_FL_KEEP_SIZE, 0, $(24MB)\) = 0"
        $firstWrite = @($calls | Where-Object { $_.Contains("copy_file_range(") -and $_.Contains("<$source>") })[0]
        [array]::IndexOf($calls, $reserves[0]) | Should -BeLessThan ([array]::IndexOf($calls, $firstWrite)) -Because 'the blocks are reserved before the bytes go in'
        Get-Sha $target | Should -Be (Get-Sha $source)
        (Get-Item -LiteralPath $target).Length | Should -Be 24MB
        Get-Allocated $target | Should -BeLessOrEqual (Get-Allocated $source)
    }

    It 'reserves nothing for a file below 16 MiB' {
        if ($NoStrace) { Set-ItResult -Skipped -Because $NoStrace; return }
        $source = (New-TestFile (Join-Path $TestDrive 'small.bin') (1MB + 1) -Seed 4).FullName
        $target = Join-Path $TestDrive 'small-copy.bin'

        $calls = Get-CopyCalls $source $target

        @($calls | Where-Object { $_ -match '\bfallocate\(' }) | Should -BeNullOrEmpty
        Get-Sha $target | Should -Be (Get-Sha $source)
    }

    It 'reserves nothing for a sparse file, whose holes stay holes' {
        if ($NoStrace) { Set-ItResult -Skipped -Because $NoStrace; return }
        $source = Join-Path $TestDrive 'sparse.img'
        truncate -s 96M $source
        dd if=/dev/urandom of=$source bs=1M count=12 conv=notrunc status=none
        dd if=/dev/urandom of=$source bs=1M count=12 seek=60 conv=notrunc status=none
        $target = Join-Path $TestDrive 'sparse-copy.img'

        $calls = Get-CopyCalls $source $target

        @($calls | Where-Object { $_ -match '\bfallocate\(' }) | Should -BeNullOrEmpty
        Get-Sha $target | Should -Be (Get-Sha $source)
        Get-Allocated $target | Should -BeLessOrEqual ((Get-Allocated $source) + 1MB) -Because 'only the 24 MiB of data take blocks'
    }

    It 'fails a copy that does not fit as before: one ENOSPC naming the destination, no file left, the room given back (root)' {
        if (-not $IsRoot) { Set-ItResult -Skipped -Because 'mounting a small tmpfs needs root'; return }
        $small = Join-Path $TestDrive 'full'
        New-Item -ItemType Directory -Path $small | Out-Null
        mount -t tmpfs -o size=8m tmpfs $small
        try {
            $source = (New-TestFile (Join-Path $TestDrive 'too-big.bin') 24MB -Seed 5).FullName
            $usedBefore = [long]((df -B1 --output=used $small)[1].Trim())

            Copy-SpliceItem -LiteralPath $source -Destination "$small/too-big.bin" -ErrorVariable failures -ErrorAction SilentlyContinue

            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'SystemCallFailed,*'
            $failures[0].Exception.ErrnoName | Should -Be 'ENOSPC'
            $failures[0].Exception.Message | Should -BeLike "*$small/too-big.bin*"
            @(Get-ChildItem -LiteralPath $small -Force) | Should -BeNullOrEmpty
            [long]((df -B1 --output=used $small)[1].Trim()) | Should -Be $usedBefore
        }
        finally {
            umount $small
        }
    }
}
