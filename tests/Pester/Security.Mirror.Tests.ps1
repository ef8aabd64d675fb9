# An attack on -Mirror, which root runs into a directory that another user owns: while the copy
# removes the directories of the destination that the source does not have, the attacker turns
# each of them, again and again, into a symbolic link to a directory of root's outside the copy
# and back. Removal goes through held directory descriptors and never follows a link, so nothing
# outside the destination may change; once the attacker stops, a second -Mirror makes the
# destination equal to the source. And a directory nested deeper than PATH_MAX in the destination
# stops its removal with an error rather than the process (a stack frame per level).
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    $script:Rounds = 3
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker
    $script:Scratch = New-Scratch 'mirror-scratch'
    $script:Work = $Scratch.Path
    $script:Source = New-FileTree $Suite (Join-Path $Work 'src') -Dirs 3 -Files 5
}

AfterAll {
    Remove-Scratch $Scratch
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe '-Mirror into a directory whose directories to remove are swapped for links to outside' {
    BeforeEach { $script:Racer = $null }
    AfterEach { Stop-Racer $Racer }

    It 'removes them without reaching outside, and a second run mirrors the source (<Rounds> rounds)' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $swaps = 0
        for ($round = 1; $round -le $Rounds; $round++) {
            $root = New-OwnedDirectory (Join-Path $Work "case-$([guid]::NewGuid().ToString('N'))")
            $outside = New-FileTree $Suite (Join-Path $root 'outside') -Dirs 10 -Files 10 -Also 'passwd=root:x:0:0:OUTSIDE {d}, never to be removed\n'
            $outsideBefore = Get-TreeSnapshot $outside
            $racerHome = New-OwnedDirectory (Join-Path $root 'racer') $Attacker
            # The attacker's directory, with 40 directories of 50 files that the source does not have.
            $mirror = New-OwnedDirectory (Join-Path $root 'mirror') $Attacker
            $null = New-FileTree $Suite $mirror $Attacker -Dirs 40 -Files 50 -DirName 'x{d:02}'
            $script:Racer = Start-Racer $Suite dir_flip.py $Attacker $racerHome -Seconds 15 -Arguments @('--watch', $mirror, '--pattern', 'x\d\d', '--target', $outside)

            $run = Invoke-Stoppable -RunSeconds 30 -ArgumentList $Source, $mirror -Script {
                param($source, $mirror)
                Copy-SpliceItem -LiteralPath $source -Destination $mirror -Mirror -ErrorAction SilentlyContinue
            }
            Stop-Racer $Racer
            $swaps += (Get-RacerResult $Racer).Summary.swaps

            $run.Finished | Should -BeTrue
            Get-TreeSnapshot $outside | Should -Be $outsideBefore -Because 'nothing outside the destination may be removed'

            Copy-SpliceItem -LiteralPath $Source -Destination $mirror -Mirror -ErrorAction Stop
            Get-TreeSnapshot $mirror -NoOwner | ForEach-Object { $_ -replace '^\S*mirror', '' } |
                Should -Be (Get-TreeSnapshot $Source -NoOwner | ForEach-Object { $_ -replace '^\S*src', '' })
            Get-TreeSnapshot $outside | Should -Be $outsideBefore
            Remove-Tree $root
        }
        $swaps | Should -BeGreaterThan 0 -Because 'the attacker must have swapped some directories for the test to mean anything'
    }
}

Describe '-Mirror into a directory where the attacker has nested a directory 25,000 deep' {
    It 'stops at PATH_MAX with an error for that directory, mirrors the rest, and the process lives' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $root = New-OwnedDirectory (Join-Path $Work "deep-$([guid]::NewGuid().ToString('N'))")
        $mirror = New-OwnedDirectory (Join-Path $root 'mirror') $Attacker
        setpriv "--reuid=$($Attacker.Uid)" "--regid=$($Attacker.Gid)" --clear-groups -- $AttackPython -c @"
import os
os.chdir('$mirror'); os.mkdir('junk'); os.chdir('junk')
for _ in range(25000):
    os.mkdir('b'); os.chdir('b')
"@
        $LASTEXITCODE | Should -Be 0
        try {
            # A fresh pwsh: a stack overflow ends the process, which no test could otherwise see.
            $run = Invoke-FreshPwsh -Json -TimeoutSeconds 120 -Script @"
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
Copy-SpliceItem -LiteralPath '$Source' -Destination '$mirror' -Mirror -ErrorAction SilentlyContinue -ErrorVariable failures
@(`$failures | ForEach-Object { [pscustomobject]@{ Id = `$_.FullyQualifiedErrorId; Message = "`$(`$_.Exception.Message)" } })
"@
            @($run).Count | Should -Be 1
            $run[0].Id | Should -BeLike 'SystemCallFailed,*'
            $run[0].Message | Should -BeLike '*ENAMETOOLONG*'
            rm -rf -- (Join-Path $mirror 'junk')
            Get-TreeSnapshot $mirror -NoOwner | Where-Object { $_ -notmatch '/junk' } | ForEach-Object { $_ -replace '^\S*mirror', '' } |
                Should -Be (Get-TreeSnapshot $Source -NoOwner | ForEach-Object { $_ -replace '^\S*src', '' })
        }
        finally { Remove-Tree $root }
    }
}
