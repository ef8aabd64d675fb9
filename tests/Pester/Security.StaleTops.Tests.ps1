# An attack on the tidying of hidden tops: a tree copied to a new name is built in a hidden 0700
# directory `.<name>.<hex>.splicetmp` beside it, and the next copy to that name removes such a
# directory left by a killed copy (root's, 0700, unlocked). The attacker owns the destination's
# parent, where root earlier copied a private tree (root's, 0700 at the top, which the attacker
# can neither read nor empty); the attacker renames that copy to the hidden name a copy to `new`
# would make, and waits for root's next copy to `new`. Root's earlier copy must survive whole.
# Its twin: in a directory of root's own, a leftover of that shape is still removed.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
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

        Copy-SpliceItem -LiteralPath $Source -Destination (Join-Path $parent 'new') -Recurse -ErrorAction Stop

        Get-TreeSnapshot $fake | Should -Be $before -Because 'root must not delete its own earlier copy because another user renamed it'
        (Get-TreeSnapshot (Join-Path $parent 'new') -NoOwner) -replace '^\S+', '' | Should -Be ((Get-TreeSnapshot $Source -NoOwner) -replace '^\S+', '')
    }

    It 'twin: in root''s own directory the same leftover is removed by the next copy to that name' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $parent = New-OwnedDirectory (Join-Path $Root 'srv')
        $leftover = Join-Path $parent '.new.0123456789ab.splicetmp'
        Copy-SpliceItem -LiteralPath $Private -Destination $leftover -Recurse -ErrorAction Stop
        stat -c '%u %a' -- $leftover | Should -Be '0 700'

        Copy-SpliceItem -LiteralPath $Source -Destination (Join-Path $parent 'new') -Recurse -ErrorAction Stop

        Test-Path -LiteralPath $leftover | Should -BeFalse -Because 'a leftover of a killed copy in a directory nobody else can rename in is tidied'
        Test-Path -LiteralPath (Join-Path $parent 'new/d00/f00') | Should -BeTrue
    }
}
