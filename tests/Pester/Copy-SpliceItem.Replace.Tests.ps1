# Copy-SpliceItem replacing files as cp and Copy-Item replace them: the replaced file keeps its
# owner, group, mode, ACL and security.* attributes (compared with what cp makes of the same
# files), -InPlace keeps its inode and hard links, -Force includes hidden items in wildcards (as
# Copy-Item -Force), root replaces read-only files, a self-copy is Copy-Item's CopyError, and
# names of any valid length copy. Root-only cases make a user named smod13a-... and skip
# elsewhere; ACLs and attributes are set and read with Python's os.setxattr (no acl tools needed).
BeforeDiscovery {
    $isRoot = (id -u) -eq '0'
    . (Join-Path $PSScriptRoot 'Support/Unprivileged.ps1')
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    . (Join-Path $PSScriptRoot 'Support/Unprivileged.ps1')
    $script:isRoot = (id -u) -eq '0'
    $script:Id = ',SpliceModule.Commands.CopySpliceItemCommand'
    if ($isRoot) { $script:App = New-AttackUser 'smod13a-app' }

    # owner:group mode inode links, as stat prints them.
    function Get-Identity([string] $Path) { stat -c '%U:%G %a %i %h' -- $Path }
    function Get-Inode([string] $Path) { stat -c '%i' -- $Path }

    # An access ACL granting nobody read (user::rw-, user:nobody:r--, group::r--, mask::r--, other::---).
    function Set-ReaderAcl([string] $Path) {
        python3 -c @'
import os, struct, sys
entries = [(1, 6, 0xffffffff), (2, 4, 65534), (4, 4, 0xffffffff), (0x10, 4, 0xffffffff), (0x20, 0, 0xffffffff)]
os.setxattr(sys.argv[1], 'system.posix_acl_access', struct.pack('<I', 2) + b''.join(struct.pack('<HHI', *e) for e in entries))
os.setxattr(sys.argv[1], 'security.smod13a', b'label-of-the-old-file')
'@ $Path
        if ($LASTEXITCODE -ne 0) { throw "setxattr on $Path failed" }
    }

    # The ACL and security.smod13a of a file, as hex ('-' where missing).
    function Get-KeptAttributes([string] $Path) {
        python3 -c @'
import os, sys
def get(name):
    try: return os.getxattr(sys.argv[1], name).hex()
    except OSError: return '-'
print(get('system.posix_acl_access'), get('security.smod13a'))
'@ $Path
    }

    # A destination as a service's file: app:app 0640 with an ACL and a label.
    function New-ServiceFile([string] $Path) {
        Set-Content -LiteralPath $Path -Value 'old'
        chown "$($App.Uid):$($App.Gid)" -- $Path
        chmod 640 -- $Path
        Set-ReaderAcl $Path
    }
}

AfterAll {
    if ($App) { Remove-AttackUser $App }
}

Describe 'A replaced file keeps who may read it, as cp keeps it (root)' -Skip:(-not $isRoot) {
    BeforeEach {
        $dir = Join-Path $TestDrive "r$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory $dir | Out-Null
        $new = Join-Path $dir 'new.conf'
        Set-Content -LiteralPath $new -Value 'new'
        chmod 644 -- $new
        $byCp = Join-Path $dir 'by-cp.conf'
        $bySplice = Join-Path $dir 'by-splice.conf'
        New-ServiceFile $byCp
        New-ServiceFile $bySplice
        cp -- $new $byCp
    }

    It 'keeps owner, group, mode, ACL and security attributes; a new inode took the name atomically' {
        $before = Get-Inode $bySplice
        Copy-SpliceItem -LiteralPath $new -Destination $bySplice -ErrorAction Stop -WarningVariable warned
        Get-Content -LiteralPath $bySplice | Should -Be 'new'
        $cpIdentity = (Get-Identity $byCp) -split ' '
        $identity = (Get-Identity $bySplice) -split ' '
        $identity[0..1] | Should -Be $cpIdentity[0..1] -Because 'owner:group and mode are what cp leaves'
        $identity[0] | Should -Be 'smod13a-app:smod13a-app'
        $identity[1] | Should -Be '640'
        Get-KeptAttributes $bySplice | Should -Be (Get-KeptAttributes $byCp)
        (Get-KeptAttributes $bySplice) | Should -Not -Match '^- ' -Because 'the ACL is kept'
        Get-Inode $bySplice | Should -Not -Be $before -Because 'the default replacement is a new file, linked over the old name'
        $warned | Should -BeNullOrEmpty
    }

    It 'gives a replaced file that had no ACL none, though its directory has a default ACL (as cp)' {
        # A default ACL granting nobody rwx: a new file made in this directory inherits it.
        $shared = Join-Path $dir 'shared'
        New-Item -ItemType Directory $shared | Out-Null
        python3 -c @'
import os, struct, sys
entries = [(1, 7, 0xffffffff), (2, 7, 65534), (4, 5, 0xffffffff), (0x10, 7, 0xffffffff), (0x20, 0, 0xffffffff)]
os.setxattr(sys.argv[1], 'system.posix_acl_default', struct.pack('<I', 2) + b''.join(struct.pack('<HHI', *e) for e in entries))
for name in sys.argv[2:]:
    path = os.path.join(sys.argv[1], name)
    open(path, 'w').write('secret\n')
    os.removexattr(path, 'system.posix_acl_access')
    os.chmod(path, 0o640)
'@ $shared 'by-cp.key' 'by-splice.key'
        if ($LASTEXITCODE -ne 0) { throw 'setting up the default ACL failed' }
        cp -- $new "$shared/by-cp.key"
        Copy-SpliceItem -LiteralPath $new -Destination "$shared/by-splice.key" -ErrorAction Stop
        Get-KeptAttributes "$shared/by-cp.key" | Should -Match '^- ' -Because 'cp writes into the old file, which has no ACL'
        Get-KeptAttributes "$shared/by-splice.key" | Should -Match '^- ' -Because 'an inherited ACL would let nobody read a 0640 file'
        ((Get-Identity "$shared/by-splice.key") -split ' ')[1] | Should -Be '640'
        Get-Content -LiteralPath "$shared/by-splice.key" | Should -Be 'new'
    }

    It 'keeps them for a file replaced inside a tree copied into an existing directory' {
        $tree = Join-Path $dir 'tree'
        New-Item -ItemType Directory "$tree/etc" -Force | Out-Null
        Copy-Item -LiteralPath $new -Destination "$tree/etc/app.conf"
        New-Item -ItemType Directory "$dir/copy/etc" -Force | Out-Null
        New-ServiceFile "$dir/copy/etc/app.conf"
        Copy-SpliceItem -LiteralPath "$tree/etc" -Destination "$dir/copy" -Recurse -ErrorAction Stop
        Get-Content -LiteralPath "$dir/copy/etc/app.conf" | Should -Be 'new'
        ((Get-Identity "$dir/copy/etc/app.conf") -split ' ')[0..1] | Should -Be ((Get-Identity $byCp) -split ' ')[0..1]
        Get-KeptAttributes "$dir/copy/etc/app.conf" | Should -Be (Get-KeptAttributes $byCp)
    }

    It 'takes the source''s owner and mode when -Preserve names them (cp -p)' {
        $byCpP = Join-Path $dir 'by-cp-p.conf'
        New-ServiceFile $byCpP
        cp -p -- $new $byCpP
        Copy-SpliceItem -LiteralPath $new -Destination $bySplice -Preserve Mode, Timestamps, Ownership -ErrorAction Stop
        ((Get-Identity $bySplice) -split ' ')[0..1] | Should -Be ((Get-Identity $byCpP) -split ' ')[0..1]
        ((Get-Identity $bySplice) -split ' ')[0..1] | Should -Be @('root:root', '644')
    }

    It '-InPlace writes into the old file: same inode, hard links see the new content, as cp' {
        $other = Join-Path $dir 'other-name.conf'
        $cpOther = Join-Path $dir 'cp-other-name.conf'
        ln -- $bySplice $other
        New-ServiceFile $byCp
        ln -- $byCp $cpOther
        cp -- $new $byCp
        $before = Get-Identity $bySplice
        Copy-SpliceItem -LiteralPath $new -Destination $bySplice -InPlace -ErrorAction Stop -WarningVariable warned
        Get-Identity $bySplice | Should -Be $before -Because 'owner, mode, inode and links stay'
        Get-Content -LiteralPath $other | Should -Be 'new'
        Get-Content -LiteralPath $cpOther | Should -Be 'new'
        ((Get-Identity $bySplice) -split ' ')[0, 1, 3] | Should -Be ((Get-Identity $byCp) -split ' ')[0, 1, 3]
        Get-KeptAttributes $bySplice | Should -Be (Get-KeptAttributes $byCp)
        $warned | Should -BeNullOrEmpty
    }

    It '-InPlace writes into existing files inside a tree too, and -Verify reads them back' {
        $tree = Join-Path $dir 'tree'
        New-Item -ItemType Directory "$tree/etc" -Force | Out-Null
        [IO.File]::WriteAllBytes("$tree/etc/app.conf", [byte[]](1..200 | ForEach-Object { $_ }))
        New-Item -ItemType Directory "$dir/copy/etc" -Force | Out-Null
        New-ServiceFile "$dir/copy/etc/app.conf"
        ln -- "$dir/copy/etc/app.conf" "$dir/copy/app.conf.other"
        $before = Get-Identity "$dir/copy/etc/app.conf"
        $items = @(Copy-SpliceItem -LiteralPath "$tree/etc" -Destination "$dir/copy" -Recurse -InPlace -Verify -PassThru -ErrorAction Stop | Where-Object Sha256)
        Get-Identity "$dir/copy/etc/app.conf" | Should -Be $before
        (Get-FileHash -LiteralPath "$dir/copy/app.conf.other").Hash | Should -Be (Get-FileHash -LiteralPath "$tree/etc/app.conf").Hash
        $items.Sha256 | Should -Be (Get-FileHash -LiteralPath "$tree/etc/app.conf").Hash
    }

    It 'warns that other hard links keep the old content without -InPlace' {
        $other = Join-Path $dir 'other-name.conf'
        ln -- $bySplice $other
        Copy-SpliceItem -LiteralPath $new -Destination $bySplice -ErrorAction Stop -WarningVariable warned -WarningAction SilentlyContinue
        Get-Content -LiteralPath $bySplice | Should -Be 'new'
        Get-Content -LiteralPath $other | Should -Be 'old'
        "$warned" | Should -Match 'hard link'
        "$warned" | Should -Match '-InPlace'
    }

    It '-InPlace never writes through a symbolic link standing at the destination' {
        $victim = Join-Path $dir 'victim.conf'
        Set-Content -LiteralPath $victim -Value 'victim'
        $link = Join-Path $dir 'link.conf'
        ln -s -- $victim $link
        Copy-SpliceItem -LiteralPath $new -Destination $link -InPlace -ErrorAction Stop
        Get-Content -LiteralPath $victim | Should -Be 'victim'
        (Get-Item -LiteralPath $link).LinkTarget | Should -BeNullOrEmpty -Because 'the link was replaced by a file'
        Get-Content -LiteralPath $link | Should -Be 'new'
    }
}

Describe 'Read-only destinations as root and as a user' {
    BeforeEach {
        $dir = Join-Path $TestDrive "ro$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory $dir | Out-Null
        Set-Content -LiteralPath "$dir/src.txt" -Value 'new'
        Set-Content -LiteralPath "$dir/dst.txt" -Value 'old'
        chmod 444 -- "$dir/dst.txt"
    }

    It 'root replaces a read-only file without -Force, as cp does' -Skip:(-not $isRoot) {
        Copy-Item -LiteralPath "$dir/dst.txt" -Destination "$dir/cp.txt"
        chmod 444 -- "$dir/cp.txt"
        cp -- "$dir/src.txt" "$dir/cp.txt"
        $LASTEXITCODE | Should -Be 0
        Copy-SpliceItem -LiteralPath "$dir/src.txt" -Destination "$dir/dst.txt" -ErrorAction Stop
        Get-Content -LiteralPath "$dir/dst.txt" | Should -Be (Get-Content -LiteralPath "$dir/cp.txt")
        stat -c '%a' -- "$dir/dst.txt" | Should -Be '444'
    }

    It 'a user who may not write it is refused without -Force and replaces it with -Force' -Skip:([bool]$UnprivilegedSkip) {
        $user = New-AttackUser 'smod13a-user'
        try {
            chown -R "$($user.Uid):$($user.Gid)" -- $dir
            Grant-Traverse $dir
            $script = @"
Import-Module '$env:SPLICEMODULE_TEST_MODULE'
`$e = `$null
Copy-SpliceItem -LiteralPath '$dir/src.txt' -Destination '$dir/dst.txt' -ErrorVariable e -ErrorAction SilentlyContinue
`$kept = Get-Content -LiteralPath '$dir/dst.txt'
Copy-SpliceItem -LiteralPath '$dir/src.txt' -Destination '$dir/dst.txt' -Force -ErrorAction Stop
@{ Refused = @(`$e | ForEach-Object FullyQualifiedErrorId); Kept = `$kept; Forced = (Get-Content -LiteralPath '$dir/dst.txt') }
"@
            $result = Invoke-PwshAsUser -User $user -Root $TestDrive -Script $script -Json
            $result.Refused | Should -Be @("DestinationReadOnly$Id")
            $result.Kept | Should -Be 'old'
            $result.Forced | Should -Be 'new'
        }
        finally {
            Remove-AttackUser $user
        }
    }
}

Describe 'Copy-SpliceItem -Force and hidden items, as Copy-Item -Force' {
    BeforeAll {
        $src = Join-Path $TestDrive 'hidden-src'
        New-Item -ItemType Directory "$src/.hidden-dir", "$src/shown-dir" -Force | Out-Null
        Set-Content -LiteralPath "$src/.profile" -Value 'dot'
        Set-Content -LiteralPath "$src/visible.txt" -Value 'shown'
        Set-Content -LiteralPath "$src/.hidden-dir/inside.txt" -Value 'inside'
    }

    It 'includes dot items in a wildcard with -Force, as Copy-Item -Force does' {
        New-Item -ItemType Directory "$TestDrive/force-ci", "$TestDrive/force-splice" | Out-Null
        Copy-Item -Path "$src/*" -Destination "$TestDrive/force-ci" -Force -Recurse
        Copy-SpliceItem -Path "$src/*" -Destination "$TestDrive/force-splice" -Force -Recurse -ErrorAction Stop
        $expected = @(Get-ChildItem -LiteralPath "$TestDrive/force-ci" -Recurse -Force -Name | Sort-Object)
        $expected | Should -Contain '.profile'
        @(Get-ChildItem -LiteralPath "$TestDrive/force-splice" -Recurse -Force -Name | Sort-Object) | Should -Be $expected
    }

    It 'leaves dot items out of a wildcard without -Force, as Copy-Item does' {
        New-Item -ItemType Directory "$TestDrive/plain-ci", "$TestDrive/plain-splice" | Out-Null
        Copy-Item -Path "$src/*" -Destination "$TestDrive/plain-ci" -Recurse
        Copy-SpliceItem -Path "$src/*" -Destination "$TestDrive/plain-splice" -Recurse -ErrorAction Stop
        $expected = @(Get-ChildItem -LiteralPath "$TestDrive/plain-ci" -Recurse -Force -Name | Sort-Object)
        $expected | Should -Not -Contain '.profile'
        @(Get-ChildItem -LiteralPath "$TestDrive/plain-splice" -Recurse -Force -Name | Sort-Object) | Should -Be $expected
    }

    It 'a -Force wildcard that matches nothing is silent' {
        Copy-SpliceItem -Path "$src/nothing-*" -Destination "$TestDrive/none" -Force -ErrorVariable e -ErrorAction SilentlyContinue
        $e | Should -BeNullOrEmpty
        Test-Path -LiteralPath "$TestDrive/none" | Should -BeFalse
    }
}

Describe 'Self-copies are Copy-Item''s CopyError' {
    It 'a file onto itself: CopyError, WriteError, an IOException with Data[SelfCopy] = the destination' {
        $file = Join-Path $TestDrive 'self.txt'
        Set-Content -LiteralPath $file -Value 'self'
        Copy-SpliceItem -LiteralPath $file -Destination $TestDrive -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be "CopyError$Id"
        $e[0].CategoryInfo.Category | Should -Be 'WriteError'
        $e[0].Exception | Should -BeOfType System.IO.IOException
        $e[0].Exception.Data['SelfCopy'] | Should -Be $file
        $e[0].Exception.Message | Should -BeLike '*same file*'
        Get-Content -LiteralPath $file | Should -Be 'self'
    }

    It 'a directory into itself: CopyError with the precise reason in the message, nothing made' {
        $tree = Join-Path $TestDrive 'self-tree'
        New-Item -ItemType Directory "$tree/sub" -Force | Out-Null
        Copy-SpliceItem -LiteralPath $tree -Destination "$tree/sub/copy" -Recurse -ErrorVariable e -ErrorAction SilentlyContinue
        $e[0].FullyQualifiedErrorId | Should -Be "CopyError$Id"
        $e[0].CategoryInfo.Category | Should -Be 'WriteError'
        $e[0].Exception.Data['SelfCopy'] | Should -Be "$tree/sub/copy"
        $e[0].Exception.Message | Should -BeLike '*into itself*'
        $e[0].TargetObject | Should -Be $tree
        Test-Path -LiteralPath "$tree/sub/copy" | Should -BeFalse
    }
}

Describe 'Names of any valid length' {
    It 'copies and replaces a file whose UTF-8 name is <Bytes> bytes' -ForEach @(
        @{ Bytes = 240; Name = ('é' * 120) }
        @{ Bytes = 255; Name = ('é' * 127) + 'a' }
    ) {
        [Text.Encoding]::UTF8.GetByteCount($Name) | Should -Be $Bytes
        $dir = Join-Path $TestDrive "long$Bytes"
        New-Item -ItemType Directory "$dir/into" -Force | Out-Null
        [IO.File]::WriteAllText("$dir/$Name", 'first')
        Copy-SpliceItem -LiteralPath "$dir/$Name" -Destination "$dir/into" -ErrorAction Stop
        [IO.File]::WriteAllText("$dir/$Name", 'second')
        # The second copy replaces the first: its temporary name must fit in 255 bytes too.
        Copy-SpliceItem -LiteralPath "$dir/$Name" -Destination "$dir/into" -ErrorAction Stop
        [IO.File]::ReadAllText("$dir/into/$Name") | Should -Be 'second'
        @(Get-ChildItem -LiteralPath "$dir/into" -Force -Filter '*.splicetmp') | Should -BeNullOrEmpty
        Copy-SpliceItem -LiteralPath $dir -Destination "$dir-tree" -Recurse -ErrorAction Stop
        [IO.File]::ReadAllText("$dir-tree/$Name") | Should -Be 'second'
    }

    It 'names the destination the user gave, never a temporary file, when the disk is full (root)' -Skip:(-not $isRoot) {
        $small = Join-Path $TestDrive 'small'
        New-Item -ItemType Directory $small | Out-Null
        mount -t tmpfs -o size=256k tmpfs $small
        try {
            $big = Join-Path $TestDrive 'big.bin'
            [IO.File]::WriteAllBytes($big, [byte[]]::new(1MB))
            Set-Content -LiteralPath "$small/big.bin" -Value 'old'
            Copy-SpliceItem -LiteralPath $big -Destination "$small/big.bin" -ErrorVariable e -ErrorAction SilentlyContinue
            $e.Count | Should -Be 1
            $e[0].Exception.ErrnoName | Should -Be 'ENOSPC'
            $e[0].Exception.Message | Should -BeLike "*$small/big.bin*"
            $e[0].Exception.Message | Should -Not -BeLike '*splicetmp*'
            Get-Content -LiteralPath "$small/big.bin" | Should -Be 'old'
        }
        finally {
            umount $small
        }
    }
}
