# Attack: setuid/setgid/sticky bits on a copy that root makes of another user's file. A copy that
# does not keep the source's owner must not keep those bits (cp drops them the same way): else
# any user gets a root-owned setuid binary by asking root to copy theirs. With the owner kept
# (-Preserve Ownership or All) the bits stay, as with cp -p. And -Update never gives root's owner (and
# bits) to a file another user planted at the destination with the source's size and time.
BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    $script:SpecialModes = @(
        @{ Mode = '4755'; Bit = 'setuid' }
        @{ Mode = '2755'; Bit = 'setgid' }
        @{ Mode = '1755'; Bit = 'sticky' }
    )
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Attack.ps1')
    . (Join-Path $PSScriptRoot 'Support/ModuleRunspace.ps1')
    $script:SkipReason = Get-AttackSkipReason
    if ($SkipReason) { return }
    $script:Suite = Enter-AttackSuite
    $script:Attacker = $Suite.Attacker
    # What -Verbose must say when it drops the bits (loosely: any wording that names them).
    $script:DroppedWords = '(?i)set-?uid|set-user-id|set-?gid|set-group-id|sticky'

    # A copy of /usr/bin/id owned by the attacker with $Mode (chmod after chown: chown clears setuid).
    function New-AttackerBinary([string] $Path, [string] $Mode) {
        Copy-Item -LiteralPath /usr/bin/id -Destination $Path
        chown "$($Attacker.Uid):$($Attacker.Gid)" -- $Path
        chmod $Mode -- $Path
        $Path
    }
}

AfterAll {
    if ($Suite) { Exit-AttackSuite $Suite }
}

Describe 'Copy-SpliceItem of another user''s setuid file, as root' {
    BeforeEach {
        if ($SkipReason) { return }
        $script:Dir = New-OwnedDirectory (Join-Path $TestDrive "priv-$([guid]::NewGuid().ToString('N'))") $Attacker
        Push-Location -LiteralPath $Dir
    }
    AfterEach {
        if ($SkipReason) { return }
        Pop-Location
    }

    It 'drops the <Bit> bit: the copy is root''s with mode 0755, and -Verbose says so' -ForEach $SpecialModes {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-AttackerBinary (Join-Path $Dir 'alice-id') $Mode
        $before = Get-Fingerprint $source

        $verbose = Copy-SpliceItem ./alice-id ./copy -Verbose -ErrorVariable failure 4>&1 |
            Where-Object { $_ -is [Management.Automation.VerboseRecord] }

        $failure | Should -BeNullOrEmpty
        stat -c '%u %a' -- (Join-Path $Dir 'copy') | Should -Be '0 755'
        ($verbose.Message -join "`n") | Should -Match $DroppedWords -Because 'the user is told that the bits were dropped'
        Get-Fingerprint $source | Should -Be $before
        Get-Sha (Join-Path $Dir 'copy') | Should -Be (Get-Sha /usr/bin/id)
    }

    It 'twin: a plain 0755 file of the user is copied as root''s 0755 without a word about special bits' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        New-AttackerBinary (Join-Path $Dir 'alice-id') '755' | Out-Null
        $verbose = Copy-SpliceItem ./alice-id ./copy -Verbose -ErrorVariable failure 4>&1 |
            Where-Object { $_ -is [Management.Automation.VerboseRecord] }
        $failure | Should -BeNullOrEmpty
        stat -c '%u %a' -- (Join-Path $Dir 'copy') | Should -Be '0 755'
        ($verbose.Message -join "`n") | Should -Not -Match $DroppedWords
    }

    It 'drops setuid, setgid and sticky inside a tree copied with -Recurse' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $tree = New-OwnedDirectory (Join-Path $Dir 'tree') $Attacker
        foreach ($case in $SpecialModes) { New-AttackerBinary (Join-Path $tree "alice-$($case.Mode)") $case.Mode | Out-Null }
        New-OwnedFile (Join-Path $tree 'plain.txt') 'plain' $Attacker '644' | Out-Null
        $before = Get-TreeSnapshot $tree

        $verbose = Copy-SpliceItem ./tree ./tree-copy -Recurse -Verbose -ErrorVariable failure 4>&1 |
            Where-Object { $_ -is [Management.Automation.VerboseRecord] }

        $failure | Should -BeNullOrEmpty
        foreach ($case in $SpecialModes) {
            stat -c '%u %a' -- (Join-Path $Dir "tree-copy/alice-$($case.Mode)") | Should -Be '0 755' -Because "the $($case.Bit) bit must go"
        }
        stat -c '%u %a' -- (Join-Path $Dir 'tree-copy/plain.txt') | Should -Be '0 644'
        ($verbose.Message -join "`n") | Should -Match $DroppedWords
        Get-TreeSnapshot $tree | Should -Be $before
    }

    It 'drops the setuid bit on each destination of Invoke-Tee -Path' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $source = New-AttackerBinary (Join-Path $Dir 'alice-id') '4755'
        $before = Get-Fingerprint $source

        $verbose = Invoke-Tee -Path ./alice-id -Destination ./tee-a, ./tee-b -Verbose -ErrorVariable failure 4>&1 |
            Where-Object { $_ -is [Management.Automation.VerboseRecord] }

        $failure | Should -BeNullOrEmpty
        foreach ($name in 'tee-a', 'tee-b') {
            stat -c '%u %a' -- (Join-Path $Dir $name) | Should -Be '0 755'
            Get-Sha (Join-Path $Dir $name) | Should -Be (Get-Sha /usr/bin/id)
        }
        ($verbose.Message -join "`n") | Should -Match $DroppedWords
        Get-Fingerprint $source | Should -Be $before
    }

    It 'keeps <Bit> (<Mode>) and the user''s ownership with -Preserve Mode,Timestamps,Ownership' -ForEach $SpecialModes {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        New-AttackerBinary (Join-Path $Dir 'alice-id') $Mode | Out-Null
        Copy-SpliceItem ./alice-id ./copy -Preserve Mode, Timestamps, Ownership -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        stat -c '%u %g %a' -- (Join-Path $Dir 'copy') | Should -Be "$($Attacker.Uid) $($Attacker.Gid) $($Mode.TrimStart('0'))"
    }

    It 'keeps setuid and the user''s ownership with -Preserve All, also in a tree' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $tree = New-OwnedDirectory (Join-Path $Dir 'tree') $Attacker
        New-AttackerBinary (Join-Path $tree 'alice-id') '4755' | Out-Null
        Copy-SpliceItem ./tree/alice-id ./copy -Preserve All -ErrorVariable failure
        Copy-SpliceItem ./tree ./tree-copy -Recurse -Preserve All -ErrorVariable +failure
        $failure | Should -BeNullOrEmpty
        stat -c '%u %a' -- (Join-Path $Dir 'copy') | Should -Be "$($Attacker.Uid) 4755"
        stat -c '%u %a' -- (Join-Path $Dir 'tree-copy/alice-id') | Should -Be "$($Attacker.Uid) 4755"
    }

    It 'the copy run as nobody does not get euid 0' {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        if ((findmnt -n -o OPTIONS -T $Dir) -match '(^|,)nosuid(,|$)') { Set-ItResult -Skipped -Because "$Dir is mounted nosuid, so setuid cannot show"; return }
        $nobody = [int](id -u nobody)
        $source = New-AttackerBinary (Join-Path $Dir 'alice-id') '4755'
        # The fixture works: the user's own binary run by nobody runs as the user.
        setpriv --reuid=$nobody --regid=$nobody --clear-groups -- $source -u | Should -Be "$($Attacker.Uid)"

        Copy-SpliceItem ./alice-id ./copy -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        setpriv --reuid=$nobody --regid=$nobody --clear-groups -- (Join-Path $Dir 'copy') -u | Should -Be "$nobody"
    }
}

Describe 'Copy-SpliceItem -Update -Preserve All, as root, onto a file the attacker planted with the source''s size and time' {
    It 'copies root''s setuid <Kind> again instead of giving the attacker''s content root''s owner and the bit' -ForEach @(
        @{ Kind = 'file'; Recurse = $false }
        @{ Kind = 'file in a tree'; Recurse = $true }
    ) {
        if ($SkipReason) { Set-ItResult -Skipped -Because $SkipReason; return }
        $case = New-OwnedDirectory (Join-Path $TestDrive "update-$([guid]::NewGuid().ToString('N'))")
        $source = New-OwnedDirectory (Join-Path $case 'bin')
        Copy-Item -LiteralPath /usr/bin/id -Destination (Join-Path $source 'prog')
        chmod 4755 -- (Join-Path $source 'prog')
        $into = New-OwnedDirectory (Join-Path $case 'into') $Attacker
        $planted = Join-Path $into $(if ($Recurse) { 'bin/prog' } else { 'prog' })
        $size = (Get-Item -LiteralPath (Join-Path $source 'prog')).Length
        setpriv "--reuid=$($Attacker.Uid)" "--regid=$($Attacker.Gid)" --clear-groups -- bash -c "mkdir -p -- `"`$(dirname '$planted')`" && printf '#!/bin/sh\necho planted\n' > '$planted' && truncate -s $size '$planted' && touch -r '$source/prog' '$planted'"
        $LASTEXITCODE | Should -Be 0

        $copy = if ($Recurse) { @{ LiteralPath = $source; Destination = $into; Recurse = $true } } else { @{ LiteralPath = (Join-Path $source 'prog'); Destination = $into } }
        $summary = Copy-SpliceItem @copy -Update -Preserve All -Summary -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        $summary.Copied | Should -Be 1 -Because 'a file of another owner is copied again, whatever its size and time'
        stat -c '%u %g %a' -- $planted | Should -Be '0 0 4755'
        Get-Sha $planted | Should -Be (Get-Sha (Join-Path $source 'prog')) -Because 'root''s setuid file holds root''s content, never the planted one'
        # A re-run finds the copy it made and leaves it, as -Update does.
        $again = Copy-SpliceItem @copy -Update -Preserve All -Summary
        $again.Copied | Should -Be 0
        $again.Skipped | Should -Be 1
    }
}
