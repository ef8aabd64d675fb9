# Paths that hide where a copy really goes, and what a copy leaves behind when it dies:
# - a destination inside the source reached through a symlink (ln -s a/sub l; copy a to l/new)
#   is refused as a self-copy (CopyError), and nothing is made under a/sub;
# - a copy killed with kill -9 mid-file leaves no temporary file (the new engine writes to an
#   unnamed O_TMPFILE where the file system allows) and no half file at the destination.
# Neither needs root nor another user.
BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:Id = ',SpliceModule.Commands.CopySpliceItemCommand'
    # Helpers run as this user, straight from the checkout.
    $script:Suite = [pscustomobject]@{ Racers = Join-Path $PSScriptRoot 'Support/Racers' }
    $script:NoPython = if (-not (Test-Path -LiteralPath $AttackPython)) { "$AttackPython is missing" }
}

Describe 'A destination inside the source, reached through a symlink' {
    BeforeEach {
        $script:Case = New-OwnedDirectory (Join-Path $TestDrive "inside-$([guid]::NewGuid().ToString('N'))")
        $script:Src = New-OwnedDirectory (Join-Path $Case 'a')
        New-OwnedDirectory (Join-Path $Src 'sub') | Out-Null
        New-OwnedFile (Join-Path $Src 'top.txt') "top`n" | Out-Null
        New-OwnedFile (Join-Path $Src 'sub/inner.txt') "inner`n" | Out-Null
        ln -s -- a/sub (Join-Path $Case 'l')
        $script:Before = Get-TreeSnapshot $Src
        Push-Location -LiteralPath $Case
    }
    AfterEach { Pop-Location }

    It 'Copy-SpliceItem a l/new -Recurse is a self-copy (CopyError) and makes nothing under a/sub' {
        Copy-SpliceItem a l/new -Recurse -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "CopyError$Id"
        Test-Path -LiteralPath (Join-Path $Src 'sub/new') | Should -BeFalse
        Get-TreeSnapshot $Src | Should -Be $Before
    }

    It 'Copy-SpliceItem a l -Recurse (into the linked directory itself) is a self-copy (CopyError) too' {
        Copy-SpliceItem a l -Recurse -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.FullyQualifiedErrorId | Should -Be "CopyError$Id"
        Get-TreeSnapshot $Src | Should -Be $Before
    }

    It 'twin: the same copy to a real directory beside it succeeds without an error' {
        New-OwnedDirectory (Join-Path $Case 'b') | Out-Null
        Copy-SpliceItem a b/new -Recurse -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        Get-TreeSnapshot (Join-Path $Case 'b/new') | Should -Be $Before
    }
}

Describe 'A copy killed with kill -9 mid-file' {
    BeforeEach { $script:Writer = $null; $script:Fresh = $null }
    AfterEach {
        $null = Stop-FreshPwsh $Fresh
        Stop-Racer $Writer
    }

    It 'leaves neither a temporary file nor a half file in the destination directory' {
        if ($NoPython) { Set-ItResult -Skipped -Because $NoPython; return }
        $case = New-OwnedDirectory (Join-Path $TestDrive "killed-$([guid]::NewGuid().ToString('N'))")
        $out = New-OwnedDirectory (Join-Path $case 'out')
        $fifo = Join-Path $case 'slow.fifo'
        mkfifo -- $fifo
        # 64 KiB every 2 ms, for as long as the copy reads.
        $script:Writer = Start-Racer $Suite slow_writer.py $null $case -Seconds 10 -Arguments @('--fifo', $fifo, '--interval', '0.002')

        # A pwsh of its own, in the background: it is killed below.
        $script:Fresh = Invoke-FreshPwsh -Background -Script "Import-Module '$env:SPLICEMODULE_TEST_MODULE'; Copy-SpliceItem -LiteralPath '$fifo' -Destination '$out/big.bin'"
        $process = $Fresh.Process

        # Mid-file: the copy has taken a MiB or more through the FIFO.
        $clock = [Diagnostics.Stopwatch]::StartNew()
        $copied = 0
        while ($copied -lt 1MB -and $clock.Elapsed.TotalSeconds -lt 30 -and -not $process.HasExited) {
            Start-Sleep -Milliseconds 50
            $result = Get-RacerResult $Writer
            if ($result.Summary) { $copied = [long]$result.Summary.bytes }
        }
        $process.HasExited | Should -BeFalse -Because 'the copy is still reading'
        $copied | Should -BeGreaterOrEqual 1MB -Because 'the copy must be mid-file when it is killed'

        $process.Kill()   # SIGKILL: no finally, no clean-up
        $process.WaitForExit(10000) | Should -BeTrue

        @(Get-ChildItem -LiteralPath $out -Force).Name | Should -BeNullOrEmpty -Because 'a killed copy leaves nothing behind'
        Remove-Tree $case
    }
}
