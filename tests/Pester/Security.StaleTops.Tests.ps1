# An attack on the tidying of hidden tops: a tree copied to a new name is built in a hidden 0700
# directory `.<name>.<hex>.splicetmp` beside it, and the next copy to that name removes such a
# directory left by a killed copy (root's, 0700, unlocked). The attacker owns the destination's
# parent, where root earlier copied a private tree (root's, 0700 at the top, which the attacker
# can neither read nor empty); the attacker renames that copy to the hidden name a copy to `new`
# would make, and waits for root's next copy to `new`. Root's earlier copy must survive whole.
# Its twin: in a directory of root's own, a leftover of that shape is still removed. Each next
# copy runs in a new session, as a user's next command would: a process lists a directory for
# leftovers once an hour at most (anyone can fill /tmp with names), so in the session that made
# the first copy the second would not look at all.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    Import-Module (Join-Path $PSScriptRoot 'Support/FreshPwsh.psm1') -Force
    # Copy-SpliceItem -Recurse in a new pwsh, as a user's next command; its errors come back.
    function Copy-TreeInNewSession([string] $Source, [string] $Destination, [string[]] $Wrapper = @()) {
        $run = Invoke-FreshPwsh -TimeoutSeconds 120 -Wrapper $Wrapper -ArgumentList $Source, $Destination -Script @"
param([string] `$Source, [string] `$Destination)
`$ErrorActionPreference = 'Stop'
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
Copy-SpliceItem -LiteralPath `$Source -Destination `$Destination -Recurse
"@
        $run.ExitCode | Should -Be 0 -Because "the copy succeeds: $($run.Output) $($run.Error)"
    }
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker
    $script:Private = New-FileTree $Suite (Join-Path $TestDrive 'private') -Dirs 2 -Files 3 -Also 'secret=root only {d}\n' -RootMode '700'
    $script:Source = New-FileTree $Suite (Join-Path $TestDrive 'source') -Dirs 1 -Files 2
}

AfterAll {
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe 'A 0700 directory of root''s renamed by the attacker to the hidden name of a copy to come' {
    BeforeEach {
        if ($SkipReason) { return }
        $script:Root = New-OwnedDirectory (Join-Path $TestDrive "stale-$([guid]::NewGuid().ToString('N'))")
    }
    AfterEach {
        if ($SkipReason) { return }
        Remove-Tree $Root
    }

    It 'is left whole by root''s next copy to that name in the attacker''s directory' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $parent = New-OwnedDirectory (Join-Path $Root 'home') $Attacker
        $backup = Join-Path $parent 'backup'
        Copy-SpliceItem -LiteralPath $Private -Destination $backup -Recurse -ErrorAction Stop
        stat -c '%u %a' -- $backup | Should -Be '0 700' -Because 'the copy of a private tree is root''s and private'
        $before = Get-TreeSnapshot $backup
        $fake = Join-Path $parent '.new.0123456789ab.splicetmp'
        setpriv "--reuid=$($Attacker.Uid)" "--regid=$($Attacker.Gid)" --clear-groups -- mv -T -- $backup $fake
        $LASTEXITCODE | Should -Be 0 -Because 'the owner of a directory may rename what stands in it'

        Copy-TreeInNewSession $Source (Join-Path $parent 'new')

        Get-TreeSnapshot $fake | Should -Be $before -Because 'root must not delete its own earlier copy because another user renamed it'
        (Get-TreeSnapshot (Join-Path $parent 'new') -NoOwner) -replace '^\S+', '' | Should -Be ((Get-TreeSnapshot $Source -NoOwner) -replace '^\S+', '')
    }

    It 'twin: in root''s own directory the same leftover is removed by the next copy to that name' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $parent = New-OwnedDirectory (Join-Path $Root 'srv')
        $leftover = Join-Path $parent '.new.0123456789ab.splicetmp'
        Copy-SpliceItem -LiteralPath $Private -Destination $leftover -Recurse -ErrorAction Stop
        stat -c '%u %a' -- $leftover | Should -Be '0 700'

        Copy-TreeInNewSession $Source (Join-Path $parent 'new')

        Test-Path -LiteralPath $leftover | Should -BeFalse -Because 'a leftover of a killed copy in a directory nobody else can rename in is tidied'
        Test-Path -LiteralPath (Join-Path $parent 'new/d00/f00') | Should -BeTrue
    }
}

Describe 'A directory anyone can fill with names, as /tmp' {
    It 'is listed once by two copies of trees into it in one session (a million names there cost every copy)' {
        if (-not (Get-Command strace -ErrorAction Ignore)) { Set-ItResult -Skipped -Because 'strace is not installed'; return }
        $parent = Join-Path $TestDrive "sticky-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path $parent
        chmod 1777 -- $parent
        # Names another user put there, enough that one listing takes several getdents64 calls.
        $null = 1..3000 | ForEach-Object { New-Item -ItemType File -Path (Join-Path $parent ('filler-{0:d4}-{1}' -f $_, ('x' * 40))) }
        $tree = Join-Path $TestDrive "tree-$([guid]::NewGuid().ToString('N'))"
        $null = New-Item -ItemType Directory -Path (Join-Path $tree 'd')
        Set-Content -LiteralPath (Join-Path $tree 'd/f') -Value 'x'

        $calls = foreach ($copies in 1, 2) {
            $log = Join-Path $TestDrive "getdents-$copies-$([guid]::NewGuid().ToString('N')).log"
            $run = Invoke-FreshPwsh -TimeoutSeconds 300 -Wrapper strace, '-f', '-qq', '-y', '-e', 'trace=getdents64', '-o', $log -ArgumentList $tree, $parent, $copies -Script @"
param([string] `$Source, [string] `$Parent, [int] `$Copies)
`$ErrorActionPreference = 'Stop'
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
foreach (`$n in 1..`$Copies) { Copy-SpliceItem -LiteralPath `$Source -Destination (Join-Path `$Parent "run`$Copies-copy`$n") -Recurse }
"@
            $run.ExitCode | Should -Be 0 -Because "$($run.Output) $($run.Error)"
            @(Get-Content -LiteralPath $log | Where-Object { $_.Contains("getdents64(") -and $_.Contains("<$parent>,") }).Count
        }

        $calls[0] | Should -BeGreaterThan 1 -Because 'the first copy into the directory lists it for what killed copies left'
        $calls[1] | Should -Be $calls[0] -Because 'a second copy into it within the hour does not list it again'
        Test-Path -LiteralPath (Join-Path $parent 'run2-copy2/d/f') | Should -BeTrue
    }
}
